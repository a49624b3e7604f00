"""The parties every package needs: sub-centres, organisations and their people."""
from kernel.parties.models import Organisation, Person, SubCentre

__all__ = ["SubCentre", "Organisation", "Person"]
