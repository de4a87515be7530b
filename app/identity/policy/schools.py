"""A school's own documents: improvement plans and standards and quality reports. Its
headteachers write, submit and record progress; its link officer (or an authority admin)
reviews them and follows progress; the authority's admins may write them too."""

from app.identity.policy.primitives import Clause, Rule, leads_school, links_school, school_documents
from app.planning.models import ImprovementPlan, QualityReport

VISIBILITY: dict[type, Clause] = {
    ImprovementPlan: school_documents(ImprovementPlan),
    QualityReport: school_documents(QualityReport),
}
RULES: dict[str, Rule] = {
    # The record passed is the establishment they belong to.
    "school_document.write": lambda p, e: leads_school(p, e) or p.administers(e.authority_id),
    "school_document.submit": lambda p, e: leads_school(p, e) or p.is_admin,
    "school_document.review": links_school,
    "school_document.progress": lambda p, e: leads_school(p, e) or links_school(p, e),
}
