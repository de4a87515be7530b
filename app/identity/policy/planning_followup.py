"""Following an agreed plan through the year: dated measures of its outcomes and a feedback
thread per priority. Both are read as the plan is (the school's headteachers, the
authority's officers; never regional leads or clients); the school's headteacher and its
link officer (or an authority admin) record measures; the link officer (or an authority
admin) gives feedback and the school's headteacher replies."""

from app.identity.policy.primitives import Rule, leads_school, links_school

RULES: dict[str, Rule] = {
    # The record passed is the establishment the plan belongs to.
    "plan_measure.record": lambda p, e: leads_school(p, e) or links_school(p, e),
    "priority_feedback.give": links_school,
    "priority_feedback.reply": leads_school,
}
# Change-feed kinds: the school's documents, followed by the authority's officers.
KINDS = frozenset({"outcome_measure", "priority_feedback"})
