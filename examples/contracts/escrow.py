"""Escrow between two organizations: a buyer locks an amount for a seller; the buyer releases it
once the goods arrive, or takes it back after the deadline if they never do.

Money is kept in this contract's own ledger, in Decimal; an admin of the settlement bank
credits organizations (in a full deployment, a token contract's call() would)."""

from cornerstone_contract import Decimal, Map, context, emit, export, has_role, query, require

BANK = "bank"
balances = Map("balances", key=str, value=Decimal)
deals = Map("deals", key=str, value=dict)

CENT = Decimal("0.01")
SECOND = 1_000_000_000


@export
def credit(org: str, amount: Decimal) -> None:
    """The bank credits `org` with `amount`."""
    require(has_role(BANK, "admin"), "only an admin of the bank credits accounts")
    require(amount > 0 and amount == amount.quantize(CENT), "a positive amount in cents")
    balances[org] = balances.get(org, Decimal(0)) + amount
    emit("credited", org=org, amount=amount)


@export
def open_deal(deal: str, seller: str, amount: Decimal, days: int) -> None:
    """Lock `amount` of the sender's balance for `seller`, releasable until `days` from now."""
    require(deal not in deals, "the deal exists already")
    require(seller != context.org, "a deal is between two organizations")
    require(amount > 0 and amount == amount.quantize(CENT), "a positive amount in cents")
    require(0 < days <= 365, "a deal lasts 1 to 365 days")
    funds = balances.get(context.org, Decimal(0))
    require(funds >= amount, "not enough funds")
    balances[context.org] = funds - amount
    deals[deal] = {
        "buyer": context.org,
        "seller": seller,
        "amount": str(amount),
        "deadline": context.time + days * 86_400 * SECOND,
        "state": "open",
    }
    emit("opened", deal=deal, buyer=context.org, seller=seller, amount=amount)


@export
def release(deal: str) -> None:
    """The buyer pays the seller."""
    record = open_record(deal)
    require(record["buyer"] == context.org, "only the buyer releases the funds")
    settle(deal, record, record["seller"], "released")


@export
def refund(deal: str) -> None:
    """The buyer takes the funds back once the deadline has passed."""
    record = open_record(deal)
    require(record["buyer"] == context.org, "only the buyer is refunded")
    require(context.time > record["deadline"], "the deadline has not passed")
    settle(deal, record, record["buyer"], "refunded")


@query
def balance(org: str) -> Decimal:
    return balances.get(org, Decimal(0))


@query
def status(deal: str) -> dict:
    return deals.get(deal, {})


def open_record(deal: str) -> dict:
    record = deals.get(deal)
    require(record is not None, "there is no such deal")
    require(record["state"] == "open", "the deal is settled already")
    return record


def settle(deal: str, record: dict, to: str, state: str) -> None:
    amount = Decimal(record["amount"])
    balances[to] = balances.get(to, Decimal(0)) + amount
    record["state"] = state
    deals[deal] = record
    emit(state, deal=deal, to=to, amount=amount)
