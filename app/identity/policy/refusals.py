"""What a refusal says, for a person: who was refused what, in the domain's words, and where
a rule explains it, why. One phrase per action of the policy (a test keeps them complete)."""

from app.identity.principal import CLIENT_ROLE, Principal, Role

WHO = {
    Role.admin: "An administrator",
    Role.officer: "An officer",
    Role.headteacher: "A headteacher",
    Role.regional_lead: "A regional lead",
    CLIENT_ROLE: "This integration client",
}

REFUSED = {
    "agreed_action.follow_up": "mark this agreed action done: that is for the authority's "
                               "officers (at a later visit), not the school",
    "area.create": "add an area to this authority: areas are kept by the authority's admins",
    "area.merge": "merge this area: areas are kept by the authority's admins",
    "area.update": "rename this area: areas are kept by the authority's admins",
    "audit.read": "read the audit log: it is for administrators and authority admins",
    "authority.create": "add an authority: authorities are reference data kept by the "
                        "administrators",
    "authority.update": "change an authority: authorities are reference data kept by the "
                        "administrators",
    "authority.update_settings": "change this authority's settings: only its authority admins "
                                 "may",
    "caseload.read": "read a caseload: a caseload is a link officer's schools",
    "changes.read": "follow the change feed: it needs the changes:read scope, or an account "
                    "that reads an authority's records",
    "client.create": "register integration clients: only administrators and authority admins "
                     "may",
    "client.delete": "remove this integration client: only administrators and its authority's "
                     "admins may",
    "clpl_evaluation.submit": "submit an evaluation for this registration: evaluations come "
                              "from the participant's own school or the event's managers",
    "clpl_event.book_staff": "book staff onto this event as a school: headteachers book "
                             "their own schools' staff",
    "clpl_event.manage": "manage this CLPL event: it is managed by its authority's admins (or "
                         "its region's leads)",
    "clpl_registration.book": "book a place on this event",
    "clpl_registration.cancel": "cancel this registration: it is the participant's school's "
                                "or the event's managers' to cancel",
    "clpl_registration.erase": "erase this participant's details: only the event's managers "
                               "may",
    "cluster.create": "add a cluster: clusters are kept by the authority's admins",
    "cluster.delete": "delete this cluster: clusters are kept by the authority's admins",
    "cluster.update": "change this cluster: clusters are kept by the authority's admins",
    "critical_indicator.manage": "change this critical indicator: it is kept by its region's "
                                 "leads or its authority's admins",
    "establishment.create": "add an establishment to this authority: only its authority "
                            "admins (or a client with establishments:write) may",
    "establishment.delete": "delete this establishment: only administrators and its "
                            "authority's admins may",
    "establishment.update": "change this establishment: its authority's admins, its link "
                            "officer or a client with establishments:write may",
    "framework.create": "add a framework: frameworks are reference data kept by the "
                        "administrators",
    "import.run": "import this kind of file",
    "insight.read": "read summaries or critical indicators: they are for officers, regional "
                    "leads and clients with summaries:read",
    "performance.write": "write this authority's performance data: it comes from the "
                         "authority's admins and its MIS (imports:write)",
    "plan_measure.record": "record measures of this plan's outcomes: that is for the "
                           "school's headteacher and its link officer",
    "priority_feedback.give": "leave feedback on this priority: that is for the school's link "
                              "officer and the authority's admins (the school's headteacher "
                              "replies)",
    "priority_feedback.reply": "reply to feedback on this priority: that is for the school's "
                               "headteacher",
    "region.create": "add a region: regions are reference data kept by the administrators",
    "region.update": "change a region: regions are reference data kept by the administrators",
    "school_document.progress": "record progress on this plan: it is for the school's "
                                "headteacher and its link officer",
    "school_document.review": "return, agree or close this school's plan or report: that is "
                              "for its link officer and the authority's admins",
    "school_document.submit": "submit this school's plan or report: that is for its "
                              "headteacher",
    "school_document.write": "write this school's plan or report: that is for its headteacher "
                             "and the authority's admins",
    "summary.read": "read this summary: summaries are for the authority's officers and its "
                    "region's leads",
    "support_status.read": "read this school's support status (RAG and support level): it is "
                           "agreed between the school and the authority, and regional leads "
                           "see it only as counts in the summaries",
    "support_status.filter": "filter schools by RAG, support level, plan status or visits: a "
                             "school's year is between the school and its authority, and "
                             "regional leads see it only as counts in the summaries",
    "support_status.set": "set this school's support status: it is agreed by its link officer "
                          "or the authority's admins",
    "trio.manage": "manage trios: they are formed by the authority's officers",
    "trio.override": "set aside a trio rule: only the authority's officers may, with a reason",
    "trio.propose": "ask for trio proposals: they are for the authority's officers",
    "trio_meeting.edit": "change this trio meeting: it is kept by the authority's officers "
                         "and, for a meeting held in a member school, by the headteacher the "
                         "trio names for that school",
    "trio_peer_review.edit": "correct or withdraw this peer review: that is for the "
                             "headteacher who recorded it, while named in the trio, and the "
                             "authority's officers",
    "trio_peer_review.record": "record a peer review in this trio: that is for the "
                               "headteachers it names and the authority's officers",
    "trio_programme.read": "read this authority's trio programme: it is for the authority's "
                           "officers, its schools' headteachers and its region's leads",
    "user.create": "create this account: authority admins create officers and headteachers of "
                   "their own authority",
    "user.delete": "remove this account: authority admins remove officers and headteachers of "
                   "their own authority",
    "user.sign_out_everywhere": "sign this account out everywhere: people sign themselves out, "
                                "and authority admins the officers and headteachers of their "
                                "own authority",
    "user.update": "change this account: authority admins change officers and headteachers of "
                   "their own authority",
    "visit.create": "record this visit",
    "visit.edit": "change this visit: it is its officer's, and the authority admins'",
    "visit.list": "read visit notes: they stay between the school and the authority; regional "
                  "leads see visits only as counts in the summaries",
    "visit.record_for_another": "record a visit for another officer: only the authority's "
                                "admins may",
    "visit.record_own": "record visits: visits are recorded by officers",
    "visit.sync": "sync visits from a device: visits are recorded by officers (or a client "
                  "with visits:write)",
    "vse.agree_grades": "agree this validated self-evaluation's grades: that is for the team's "
                        "lead, the school's link officer and the authority's admins",
    "vse.direct": "direct a validated self-evaluation of this school: that is for its link "
                  "officer and the authority's admins",
    "vse.manage": "manage this validated self-evaluation: it is led by the school's link "
                  "officer and the authority's admins",
    "vse.findings": "read this validated self-evaluation's findings before it is reported",
    "vse.school_grades": "give the school's own grades for this validated self-evaluation: that "
                         "is for the school's headteacher and its link officer",
    "vse.request": "ask for a validated self-evaluation for this school: that is for its "
                   "headteacher or the authority",
    "vse.withdraw": "cancel this validated self-evaluation: a school withdraws only its own "
                    "request (while it is proposed); the link officer and the authority's "
                    "admins cancel the rest",
    "vse_finding.record": "record findings in this validated self-evaluation: that is for the "
                          "users on its team, its lead, the school's link officer and the "
                          "authority's admins",
}


def refusal(principal: Principal, action: str) -> str:
    who = WHO.get(principal.role, "This account")
    if principal.role == Role.officer and principal.is_authority_admin:
        who = "An authority admin"
    return f"{who} may not {REFUSED[action]}."
