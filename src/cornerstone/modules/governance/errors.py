"""Errors of the governance module (codes 3000-3099, codespace "governance")."""

from cornerstone.errors import TransactionError


class GovernanceError(TransactionError):
    codespace = "governance"


class UnknownActionError(GovernanceError):
    code = 3000
    template = "there is no governance action {module}.{action}"


class InvalidActionError(GovernanceError):
    code = 3001
    template = "the arguments of {module}.{action} are refused: {reason}"


class NotEligibleError(GovernanceError):
    code = 3002
    template = "{org} ({role}) cannot approve {resource}: its policy is {policy}"


class NoSuchProposalError(GovernanceError):
    code = 3003
    template = "there is no proposal {proposal}"


class ProposalClosedError(GovernanceError):
    code = 3004
    template = "proposal {proposal} is closed ({status} at height {height})"


class VotingPeriodError(GovernanceError):
    code = 3005
    template = "a voting period is 1 to {limit} blocks, not {blocks}"


class UnknownResourceError(GovernanceError):
    code = 3006
    template = "there is no resource {resource} to set a policy for"


class InvalidPolicyError(GovernanceError):
    code = 3007
    template = "the policy for {resource} is refused: {reason}"


class UnknownParamError(GovernanceError):
    code = 3008
    template = "there is no chain parameter {name}; the parameters are {names}"


class InvalidParamError(GovernanceError):
    code = 3009
    template = "the parameter {name} must be {low} to {high}, not {value}"
