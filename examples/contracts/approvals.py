"""A multi-party approval workflow: an organization proposes a request, names the organizations
whose approval counts and how many must approve; each approves or rejects once; the request is
approved at the threshold, and rejected as soon as the threshold can no longer be met."""

from cornerstone_contract import Map, context, emit, export, query, require

requests = Map("requests", key=str, value=dict)

MAX_APPROVERS = 50


@export
def propose(request: str, summary: str, approvers: list[str], threshold: int) -> None:
    require(request not in requests, "the request exists already")
    require(0 < len(approvers) <= MAX_APPROVERS, "name 1 to 50 approving organizations")
    unique = {}
    for org in approvers:
        require(org not in unique, f"{org} is named twice")
        unique[org] = True
    require(0 < threshold <= len(approvers), "the threshold is between 1 and the approvers")
    requests[request] = {
        "proposer": context.org,
        "summary": summary,
        "approvers": approvers,
        "threshold": threshold,
        "votes": {},
        "state": "pending",
    }
    emit("proposed", request=request, by=context.org, threshold=threshold)


@export
def approve(request: str) -> str:
    return vote(request, True)


@export
def reject(request: str) -> str:
    return vote(request, False)


@query
def status(request: str) -> dict:
    return requests.get(request, {})


def vote(request: str, approving: bool) -> str:
    record = requests.get(request)
    require(record is not None, "there is no such request")
    require(record["state"] == "pending", f"the request is {record['state']} already")
    require(context.org in record["approvers"], "your organization is not an approver")
    require(context.org not in record["votes"], "your organization has voted")
    record["votes"][context.org] = approving
    approvals = len([v for v in record["votes"].values() if v])
    rejections = len(record["votes"]) - approvals
    if approvals >= record["threshold"]:
        record["state"] = "approved"
    elif len(record["approvers"]) - rejections < record["threshold"]:
        record["state"] = "rejected"
    requests[request] = record
    emit("voted", request=request, by=context.org, approve=approving, state=record["state"])
    return record["state"]
