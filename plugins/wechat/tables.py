"""The WeChat channel's tables: the account's access token, shared by every node, and which residents follow the account."""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class WechatToken(Table, tablename="wechat_token"):
    """The Official Account's access token (one row per AppID), read by every node.

    WeChat gives one token at a time: fetching a new one makes the old one stop working (after a
    few minutes' overlap). So only one node fetches: it first sets ``refreshing_until`` by a
    conditional update (no one refreshing, and the token still the one it read), and the others
    wait for the row to change. ``refreshes`` counts the fetches (``meihao doctor``, the tests).
    """

    app_id = Varchar(length=64, unique=True)
    access_token = Text(default="")
    expires_at = Timestamptz(null=True, default=None)
    refreshing_until = Timestamptz(null=True, default=None)
    refreshes = Integer(default=0)


class WechatBinding(Table, tablename="wechat_binding"):
    """A resident reached on WeChat: her openid is her ``wechat`` contact; here only its digest, to find her when it unfollows.

    One WeChat user may be bound for several residents (a daughter following for both parents);
    a resident has one binding.
    """

    resident_id = Integer(unique=True)
    #: SHA-256 of ``{app_id}:{openid}``, hex: the unsubscribe event names the openid, never the resident.
    openid_digest = Varchar(length=64, index=True)
    bound_at = Timestamptz(default=TimestamptzNow())


TABLES = [WechatToken, WechatBinding]
