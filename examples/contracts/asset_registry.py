"""An asset registry: an organization registers an asset it owns, transfers it to another
organization, and anyone can look up an asset and what an organization holds."""

from cornerstone_contract import Map, context, emit, export, query, require

assets = Map("assets", key=str, value=dict)
holdings = Map("holdings", key=str, value=list)

MAX_HOLDINGS = 500


@export
def register(asset: str, description: str) -> None:
    """Register `asset` as owned by the sender's organization."""
    require(0 < len(asset) <= 64, "an asset id has 1 to 64 characters")
    require(len(description) <= 1000, "a description has at most 1000 characters")
    require(asset not in assets, "the asset is registered already")
    assets[asset] = {
        "owner": context.org,
        "description": description,
        "registered": context.height,
        "transfers": 0,
    }
    hold(context.org, asset)
    emit("registered", asset=asset, owner=context.org)


@export
def transfer(asset: str, to: str) -> None:
    """Give `asset` to organization `to`; only its owner may."""
    record = assets.get(asset)
    require(record is not None, "there is no such asset")
    require(record["owner"] == context.org, "only the owner transfers an asset")
    require(to != context.org, "the asset is yours already")
    record["owner"] = to
    record["transfers"] += 1
    assets[asset] = record
    release(context.org, asset)
    hold(to, asset)
    emit("transferred", asset=asset, by=context.org, to=to)


@query
def lookup(asset: str) -> dict:
    """The asset's record, or an empty dict."""
    return assets.get(asset, {})


@query
def held_by(org: str) -> list:
    """The assets `org` holds, in the order it got them."""
    return holdings.get(org, [])


def hold(org: str, asset: str) -> None:
    owned = holdings.get(org, [])
    require(len(owned) < MAX_HOLDINGS, "the organization holds too many assets")
    owned.append(asset)
    holdings[org] = owned


def release(org: str, asset: str) -> None:
    owned = holdings.get(org, [])
    owned.remove(asset)
    holdings[org] = owned
