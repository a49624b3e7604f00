"""The advice's words in each locale it is sent in (short: the figures carry the meaning)."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title_payer": "Payment request", "title_payee": "Settlement advice",
        "reference": "Reference to quote", "human_ref": "Our reference", "due": "Due date",
        "deal": "Deal", "amount_to_pay": "Amount to pay", "gross": "Gross amount",
        "fee_exchange": "Service fee (exchange)", "fee_subcentre": "Service fee (sub-centre)",
        "fee_broker": "Service fee (broker)", "vat": "VAT withheld",
        "withholding": "Income tax withheld", "net": "Net amount", "fx_margin": "FX margin",
        "payout": "Amount paid to you", "rate": "Exchange rate", "rule": "Rule",
        "status": "Status", "to": "To",
        "deposit_applied": "Deposit already paid, applied",
    },
    "zh_CN": {
        "title_payer": "付款通知", "title_payee": "结算通知书", "reference": "付款附言（请注明）",
        "human_ref": "我方编号", "due": "到期日", "deal": "交易", "amount_to_pay": "应付金额",
        "gross": "合同金额", "fee_exchange": "服务费（交易所）", "fee_subcentre": "服务费（分中心）",
        "fee_broker": "服务费（经纪机构）", "vat": "代扣增值税", "withholding": "代扣所得税",
        "net": "净额", "fx_margin": "汇兑差价", "payout": "支付给您的金额", "rate": "汇率",
        "rule": "依据", "status": "状态", "to": "致",
        "deposit_applied": "已付保证金抵扣",
    },
    "zh_HK": {
        "title_payer": "付款通知", "title_payee": "結算通知書", "reference": "付款附言（請註明）",
        "human_ref": "我方編號", "due": "到期日", "deal": "交易", "amount_to_pay": "應付金額",
        "gross": "合同金額", "fee_exchange": "服務費（交易所）", "fee_subcentre": "服務費（分中心）",
        "fee_broker": "服務費（經紀機構）", "vat": "代扣增值稅", "withholding": "代扣所得稅",
        "net": "淨額", "fx_margin": "匯兌差價", "payout": "支付給您的金額", "rate": "匯率",
        "rule": "依據", "status": "狀態", "to": "致",
        "deposit_applied": "已付保證金抵扣",
    },
    "da": {
        "title_payer": "Betalingsanmodning", "title_payee": "Afregningsmeddelelse",
        "reference": "Reference ved betaling", "human_ref": "Vores reference",
        "due": "Forfaldsdato", "deal": "Aftale", "amount_to_pay": "Beløb til betaling",
        "gross": "Bruttobeløb", "fee_exchange": "Gebyr (børsen)",
        "fee_subcentre": "Gebyr (underkontor)", "fee_broker": "Gebyr (mægler)",
        "vat": "Tilbageholdt moms", "withholding": "Tilbageholdt indkomstskat",
        "net": "Nettobeløb", "fx_margin": "Valutamargin", "payout": "Udbetalt til jer",
        "rate": "Valutakurs", "rule": "Regel", "status": "Status", "to": "Til",
        "deposit_applied": "Indbetalt depositum, modregnet",
    },
    "nl": {
        "title_payer": "Betalingsverzoek", "title_payee": "Afrekeningsbericht",
        "reference": "Te vermelden kenmerk", "human_ref": "Ons kenmerk", "due": "Vervaldatum",
        "deal": "Transactie", "amount_to_pay": "Te betalen bedrag", "gross": "Brutobedrag",
        "fee_exchange": "Vergoeding (beurs)", "fee_subcentre": "Vergoeding (subcentrum)",
        "fee_broker": "Vergoeding (makelaar)", "vat": "Ingehouden btw",
        "withholding": "Ingehouden inkomstenbelasting", "net": "Nettobedrag",
        "fx_margin": "Valutamarge", "payout": "Aan u betaald", "rate": "Wisselkoers",
        "rule": "Regel", "status": "Status", "to": "Aan",
        "deposit_applied": "Reeds betaalde waarborgsom, verrekend",
    },
    "ko": {
        "title_payer": "지급 요청서", "title_payee": "정산 통지서", "reference": "송금 시 기재할 참조번호",
        "human_ref": "당사 참조번호", "due": "지급 기일", "deal": "거래", "amount_to_pay": "지급할 금액",
        "gross": "총액", "fee_exchange": "수수료 (거래소)", "fee_subcentre": "수수료 (분센터)",
        "fee_broker": "수수료 (중개인)", "vat": "원천징수 부가가치세", "withholding": "원천징수 소득세",
        "net": "순액", "fx_margin": "환전 마진", "payout": "귀사 지급액", "rate": "환율",
        "rule": "근거", "status": "상태", "to": "수신",
        "deposit_applied": "기납부 보증금 충당",
    },
}


def labels_for(locale: str) -> dict[str, str]:
    """The locale's labels (zh_CN, zh_HK exactly; other languages by their language part)."""
    return LABELS.get(locale) or LABELS.get(locale.split("_")[0]) or LABELS["en"]
