"""The labelled set for ``bench/matching.py``: technology listings and buyer demands in
Chinese and English, with a graded relevance label for every demand-listing pair.

Built by hand as topics (each: a field, IPC classes, and a zh/en vocabulary in which the
demand side uses partly different words than the listings -- synonyms, the other language, or
a broader term), then expanded deterministically (seed 5) into 144 listings and 48 demands,
so 6,912 labelled pairs. Labels follow from the topic a listing and a demand were written
for, and the demand's constraints:

- 2: same topic, and the listing meets the demand's minimum TRL and its price (converted at
  the set's rates) is within the budget;
- 1: same topic but the TRL or the budget does not fit, or a sibling topic (same field,
  related technology: e.g. a cathode listing for an electrolyte demand);
- 0: anything else.

These are rule-derived labels on generated text, not human judgements; they measure whether
the ranking puts what the generator meant to be relevant on top.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from moneyed import Money

# topic: field, ipc, listing words (zh, en), demand words (zh, en) -- partly other words
TOPICS: dict[str, dict] = {
    "cathode": {"field": "new_energy", "sib": "electrolyte", "ipc": ["H01M 4/36", "H01M 4/525"],
                "lz": ["锂电池", "正极材料", "富镍", "高能量密度"], "le": ["lithium battery", "cathode", "nickel rich", "energy density"],
                "dz": ["电池正极", "三元材料", "续航"], "de": ["battery cathode", "NCM", "longer range"]},
    "electrolyte": {"field": "new_energy", "sib": "cathode", "ipc": ["H01M 10/0562"],
                    "lz": ["固态电解质", "硫化物", "离子电导率"], "le": ["solid electrolyte", "sulfide", "ionic conductivity"],
                    "dz": ["固态电池", "电解质", "安全性"], "de": ["solid-state battery", "electrolyte", "safety"]},
    "pv": {"field": "new_energy", "sib": "storage", "ipc": ["H02S 40/00", "H01L 31/18"],
           "lz": ["钙钛矿", "光伏组件", "转换效率"], "le": ["perovskite", "solar module", "conversion efficiency"],
           "dz": ["太阳能电池", "光伏", "效率提升"], "de": ["solar cell", "photovoltaic", "efficiency"]},
    "storage": {"field": "new_energy", "sib": "pv", "ipc": ["H02J 3/32"],
                "lz": ["储能系统", "电网调峰", "能量管理"], "le": ["energy storage system", "grid peak shaving", "energy management"],
                "dz": ["储能", "调峰", "电站"], "de": ["grid storage", "peak shaving", "power station"]},
    "vision": {"field": "ai", "sib": "nlp", "ipc": ["G06V 10/82", "G06T 7/00"],
               "lz": ["图像识别", "深度学习", "缺陷检测", "工业质检"], "le": ["image recognition", "deep learning", "defect detection", "inspection"],
               "dz": ["视觉检测", "质检", "瑕疵识别"], "de": ["machine vision", "quality inspection", "defect"]},
    "nlp": {"field": "ai", "sib": "vision", "ipc": ["G06F 40/30", "G06N 3/08"],
            "lz": ["自然语言处理", "语义理解", "大模型"], "le": ["natural language processing", "semantic understanding", "language model"],
            "dz": ["文本理解", "智能客服", "语言模型"], "de": ["text understanding", "chatbot", "language model"]},
    "antenna": {"field": "ict", "sib": "scheduling", "ipc": ["H01Q 1/24", "H01Q 21/06"],
                "lz": ["毫米波天线", "阵列天线", "波束成形"], "le": ["millimetre wave antenna", "antenna array", "beamforming"],
                "dz": ["天线", "5G基站", "波束"], "de": ["antenna", "5G base station", "beam steering"]},
    "scheduling": {"field": "ict", "sib": "antenna", "ipc": ["H04W 72/04"],
                   "lz": ["无线资源调度", "低时延", "基站"], "le": ["radio resource scheduling", "low latency", "base station"],
                   "dz": ["资源分配", "时延", "无线网络"], "de": ["resource allocation", "latency", "wireless network"]},
    "crispr": {"field": "biotech", "sib": "vaccine", "ipc": ["C12N 15/11", "C12N 9/22"],
               "lz": ["基因编辑", "CRISPR", "脱靶"], "le": ["gene editing", "CRISPR", "off-target"],
               "dz": ["基因编辑工具", "碱基编辑"], "de": ["genome editing", "base editing", "CRISPR"]},
    "vaccine": {"field": "biotech", "sib": "crispr", "ipc": ["A61K 39/00", "A61K 39/12"],
                "lz": ["mRNA疫苗", "脂质纳米颗粒", "免疫原性"], "le": ["mRNA vaccine", "lipid nanoparticle", "immunogenicity"],
                "dz": ["疫苗", "递送系统"], "de": ["vaccine", "delivery system", "mRNA"]},
    "lidar": {"field": "transport", "sib": "adas", "ipc": ["G01S 17/89", "G01S 7/481"],
              "lz": ["激光雷达", "点云", "测距"], "le": ["lidar", "point cloud", "ranging"],
              "dz": ["激光雷达", "车载传感器"], "de": ["LiDAR sensor", "automotive sensing", "3D"]},
    "adas": {"field": "transport", "sib": "lidar", "ipc": ["B60W 60/00", "B60W 30/09"],
             "lz": ["自动驾驶", "路径规划", "决策控制"], "le": ["autonomous driving", "path planning", "decision control"],
             "dz": ["无人驾驶", "规划算法"], "de": ["self-driving", "motion planning", "autonomous vehicle"]},
    "robot": {"field": "advanced_manufacturing", "sib": "am", "ipc": ["B25J 9/16", "B25J 13/08"],
              "lz": ["协作机器人", "力控", "抓取"], "le": ["collaborative robot", "force control", "grasping"],
              "dz": ["机械臂", "柔性装配"], "de": ["robot arm", "flexible assembly", "cobot"]},
    "am": {"field": "advanced_manufacturing", "sib": "robot", "ipc": ["B33Y 10/00", "B22F 10/28"],
           "lz": ["金属3D打印", "激光熔融", "增材制造"], "le": ["metal 3D printing", "laser melting", "additive manufacturing"],
           "dz": ["3D打印", "金属零件"], "de": ["3D printing", "metal parts", "additive"]},
    "graphene": {"field": "new_materials", "sib": "coating", "ipc": ["C01B 32/182"],
                 "lz": ["石墨烯", "导热膜", "规模化制备"], "le": ["graphene", "thermal film", "scalable production"],
                 "dz": ["石墨烯材料", "散热"], "de": ["graphene material", "heat dissipation"]},
    "coating": {"field": "new_materials", "sib": "graphene", "ipc": ["C09D 5/08"],
                "lz": ["防腐涂层", "纳米涂料", "耐候"], "le": ["anticorrosion coating", "nano paint", "weather resistance"],
                "dz": ["涂料", "防腐蚀"], "de": ["coating", "corrosion protection"]},
    "water": {"field": "environment", "sib": "ccs", "ipc": ["C02F 3/00", "C02F 1/44"],
              "lz": ["污水处理", "膜生物反应器", "脱氮"], "le": ["wastewater treatment", "membrane bioreactor", "nitrogen removal"],
              "dz": ["废水处理", "膜技术"], "de": ["sewage treatment", "membrane", "effluent"]},
    "ccs": {"field": "environment", "sib": "water", "ipc": ["B01D 53/62"],
            "lz": ["碳捕集", "胺吸收", "二氧化碳"], "le": ["carbon capture", "amine absorption", "CO2"],
            "dz": ["碳捕获", "减排"], "de": ["CO2 capture", "emission reduction", "carbon"]},
    "breeding": {"field": "agriculture", "sib": "ccs", "ipc": ["A01H 1/00", "A01H 6/46"],
                 "lz": ["作物育种", "分子标记", "抗旱"], "le": ["crop breeding", "molecular markers", "drought tolerance"],
                 "dz": ["育种", "抗逆品种"], "de": ["plant breeding", "stress tolerant varieties"]},
    "glucose": {"field": "medical_devices", "sib": "vaccine", "ipc": ["A61B 5/145", "A61B 5/00"],
                "lz": ["连续血糖监测", "柔性传感器", "可穿戴"], "le": ["continuous glucose monitoring", "flexible sensor", "wearable"],
                "dz": ["血糖仪", "可穿戴设备"], "de": ["glucose meter", "wearable device", "diabetes"]},
    "drone": {"field": "aerospace", "sib": "lidar", "ipc": ["B64C 39/02", "B64U 10/13"],
              "lz": ["无人机", "长航时", "垂直起降"], "le": ["drone", "long endurance", "vertical take-off"],
              "dz": ["无人飞行器", "巡检"], "de": ["UAV", "inspection flights", "VTOL"]},
    "chip": {"field": "semiconductors", "sib": "antenna", "ipc": ["H01L 23/00", "H01L 21/56"],
             "lz": ["芯片封装", "扇出型", "散热"], "le": ["chip packaging", "fan-out", "thermal"],
             "dz": ["先进封装", "芯片"], "de": ["advanced packaging", "semiconductor package"]},
    "drug": {"field": "pharma", "sib": "vaccine", "ipc": ["A61K 31/00", "A61K 47/69"],
             "lz": ["靶向药物", "抗体偶联", "肿瘤"], "le": ["targeted drug", "antibody drug conjugate", "oncology"],
             "dz": ["抗癌药", "ADC"], "de": ["cancer therapy", "ADC", "targeted therapy"]},
    "sensor": {"field": "ict", "sib": "glucose", "ipc": ["G01D 5/353", "G01L 1/24"],
               "lz": ["光纤传感", "应变监测", "结构健康"], "le": ["fibre optic sensing", "strain monitoring", "structural health"],
               "dz": ["传感器", "桥梁监测"], "de": ["sensor network", "bridge monitoring", "strain"]},
}
GLUE_ZH = ["一种", "基于", "的", "方法", "系统", "及其制备", "装置", "新型", "用于", "高效"]
GLUE_EN = ["a", "method", "system", "for", "based on", "novel", "apparatus", "efficient", "using", "and"]
# units of the currency per USD (the set's own rates, used for labels and by the bench)
RATES = {"USD": Decimal(1), "CNY": Decimal("7.1"), "EUR": Decimal("0.925"), "JPY": Decimal(150),
         "DKK": Decimal("6.9")}


@dataclass(frozen=True)
class LabelledListing:
    id: int
    topic: str
    text: str
    ipc: tuple[str, ...]
    trl: int
    price: Money | None
    field: str


@dataclass(frozen=True)
class LabelledDemand:
    id: int
    topic: str
    text: str
    ipc: tuple[str, ...]
    trl_min: int | None
    budget: Money | None
    field: str | None


def convert(money: Money, to_ccy: str) -> Money:
    usd = money.amount / RATES[money.currency.code]
    return Money((usd * RATES[to_ccy]).quantize(Decimal("0.01")), to_ccy)


def build(seed: int = 5) -> tuple[list[LabelledListing], list[LabelledDemand], dict[tuple[int, int], int]]:
    rng = random.Random(seed)
    listings: list[LabelledListing] = []
    demands: list[LabelledDemand] = []
    lid = did = 0
    for name, t in TOPICS.items():
        for _ in range(6):
            lid += 1
            zh = rng.choice(GLUE_ZH) + "".join(rng.sample(t["lz"], k=min(3, len(t["lz"])))) + rng.choice(GLUE_ZH)
            en = " ".join([rng.choice(GLUE_EN), *rng.sample(t["le"], k=2), rng.choice(GLUE_EN)])
            other = TOPICS[rng.choice(list(TOPICS))]  # noise: a word of another topic
            text = f"{zh} {en} {rng.choice(other['le'])}"
            ccy = rng.choice(list(RATES))
            price = (None if rng.random() < 0.2 else
                     Money((Decimal(rng.randrange(5, 80)) * 10000 * RATES[ccy]).quantize(Decimal(1)), ccy))
            listings.append(LabelledListing(lid, name, text, (rng.choice(t["ipc"]),), rng.randint(3, 9),
                                            price, t["field"]))
        for k in range(2):
            did += 1
            lang = (did + k) % 3  # 0 zh, 1 en, 2 mixed
            zh, en = " ".join(rng.sample(t["dz"], k=2)), " ".join(rng.sample(t["de"], k=2))
            text = {0: zh, 1: en, 2: f"{zh} {en}"}[lang]
            budget = None if rng.random() < 0.25 else Money(rng.randrange(30, 90) * 10000 * RATES["CNY"], "CNY")
            demands.append(LabelledDemand(did, name, text,
                                          (t["ipc"][0],) if rng.random() < 0.6 else (),
                                          rng.choice([None, 4, 5, 6, 7]), budget,
                                          t["field"] if rng.random() < 0.5 else None))
    labels: dict[tuple[int, int], int] = {}
    for d in demands:
        for x in listings:
            grade = 0
            if x.topic == d.topic:
                trl_ok = d.trl_min is None or x.trl >= d.trl_min
                budget_ok = (d.budget is None or x.price is None
                             or convert(x.price, d.budget.currency.code).amount <= d.budget.amount)
                grade = 2 if trl_ok and budget_ok else 1
            elif TOPICS[d.topic]["sib"] == x.topic:
                grade = 1
            labels[(d.id, x.id)] = grade
    return listings, demands, labels
