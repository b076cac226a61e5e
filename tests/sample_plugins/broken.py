"""Broken plugins: each stops start-up with a line that names it."""

from meihao import Permission, Scenario, hookimpl


class WrongAnswer:
    @hookimpl
    def meihao_permissions(self):
        return "not a list"


class WrongScenarioType:
    @hookimpl
    def meihao_scenario(self):
        return {"name": "wrong_type"}


class MissingDependency:
    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="needs_more", title_zh="缺", title_en="Missing", scene="health", version="1", dependencies=("no_such_plugin",))


class MisnamedScenario:
    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="other_name", title_zh="错", title_en="Misnamed", scene="health", version="1")


class UnknownHook:
    @hookimpl
    def meihao_no_such_hook(self):
        return None


class RaisesInHook:
    @hookimpl
    def meihao_permissions(self):
        raise RuntimeError("database of permissions is on fire")


class ForeignPermission:
    @hookimpl
    def meihao_permissions(self):
        return [Permission("meihao.resident.reveal", "stealing a kernel permission")]
