"""Generate the sample province: examples/province/<kind>.csv for every entity kind the policies declare.

    python3 examples/generate.py            # rewrites examples/province/

The zones, service zones and cities are those named in the five documents (Chinese names);
enterprises, cadres, projects and the rest are invented, over 2013–2020, with a fixed seed so
the files are reproducible. The quantities the documents derive from member data (counts of
A-class enterprises, of new, started, completed and major projects, of key enterprises, of
starred zones and of clusters by size; the cities' and the province's zone totals) are not
columns: the engine computes them from these member rows (each enterprise's zone, class and key
listing, each project's zone or service zone, year, investment and dates, each cluster's zone and
revenue, each zone's own figures). Every declared fact gets a column: facts with a known meaning get
plausible values (positions within the province, ranks within the city, money that grows,
classes A–D that persist), the rest a value of their type. Run it again after adding facts.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import policydsl  # noqa: E402  (the checkout, not an installed copy)

YEARS = range(2013, 2021)
OUT = ROOT / "examples" / "province"

CITIES = {
    "周口市": ["周口经济技术产业集聚区", "川汇区产业集聚区", "淮阳县产业集聚区", "西华县产业集聚区", "扶沟县产业集聚区",
            "沈丘县产业集聚区", "郸城县产业集聚区", "项城市产业集聚区", "太康县产业集聚区", "商水县产业集聚区"],
    "开封市": ["汴西产业集聚区", "尉氏县产业集聚区", "杞县产业集聚区", "通许县产业集聚区", "黄龙产业集聚区",
            "汴东产业集聚区", "精细化工产业集聚区"],
    "许昌市": ["许昌经济技术产业集聚区", "许昌尚集产业集聚区", "禹州市产业集聚区", "长葛市产业集聚区",
            "鄢陵县产业集聚区", "襄城县产业集聚区", "许昌县产业集聚区", "魏都区产业集聚区"],
}
SERVICE_ZONES = {
    "开封市": [("开封市商务中心区", "business_centre_zone"), ("兰考县商务中心区", "business_centre_zone")] + [
        (f"{d}特色商业区", "special_commercial_zone") for d in
        ("鼓楼区", "龙亭区", "杞县", "通许县", "尉氏县", "开封县", "顺河回族区", "禹王台区", "金明区")],
    "周口市": [("周口市商务中心区", "business_centre_zone"), ("项城市商务中心区", "business_centre_zone"),
            ("淮阳县特色商业区", "special_commercial_zone")],
    "许昌市": [("许昌市商务中心区", "business_centre_zone"), ("禹州市特色商业区", "special_commercial_zone")],
}
# (kind, fact) of the member attributes the documents' counts are computed from, with sample values of their own
MEMBER_ATTRIBUTES = {("project", "construction_started_on"), ("project", "production_started_on"),
                     ("project", "top500_or_top100_investor"), ("enterprise", "provincial_key_enterprise"),
                     ("enterprise", "municipal_key_enterprise"), ("enterprise", "listing_reserve"),
                     ("enterprise", "newly_introduced_supporting"), ("enterprise", "host_service_zone"),
                     ("industrial_zone", "employees"), ("industrial_zone", "green_infrastructure_retrofit"),
                     ("enterprise", "newly_above_scale_service"), ("enterprise", "newly_branded_service"),
                     ("enterprise", "investment"), ("enterprise", "in_use_on"),
                     ("enterprise", "newly_leading_or_brand"), ("enterprise", "innovation_leading"),
                     ("enterprise", "high_tech"), ("enterprise", "newly_introduced_aaa_logistics"),
                     ("enterprise", "newly_completed_aaa_logistics")}
FIRMS = ["食品", "纺织", "机械", "化工", "电子", "建材", "医药", "皮革", "汽配", "家具", "发制品", "新能源"]


class Province:
    def __init__(self, seed: int = 2014):
        self.seed = seed
        self.rng = random.Random(seed)  # the entities and their links
        # Each column of each entity draws from its own stream, so that adding or removing a fact
        # leaves every other column of the sample as it was.
        self.streams: dict[tuple[str, str, str], random.Random] = {}
        self.members_rng = random.Random(seed + 1)  # which projects and enterprises sit in a service zone
        self.zones = [(f"Z{n:02d}", name, city) for n, (city, name) in
                      enumerate(((c, z) for c, zs in CITIES.items() for z in zs), start=1)]
        self.service_zones = [(f"S{n:02d}", name, city, kind) for n, (city, name, kind) in
                              enumerate(((c, n, k) for c, ss in SERVICE_ZONES.items() for n, k in ss), start=1)]

    def stream(self, kind: str, entity: str, fact: str) -> random.Random:
        key = (kind, entity, fact)
        if key not in self.streams:
            self.streams[key] = random.Random(f"{self.seed}:{kind}:{entity}:{fact}")
        return self.streams[key]

    # ---- per-fact values -------------------------------------------------------------------
    def value(self, kind: str, fact: str, ftype, entity: dict, year: int, state: dict):
        if (kind, fact) in MEMBER_ATTRIBUTES or kind == "industrial_cluster":
            return self.member_value(kind, fact, ftype, entity, year, state)
        rng = self.stream(kind, entity["id"], fact)
        name = fact
        if ftype.is_reference:
            return entity.get(fact) or entity.get("zone") or ""
        if ftype.is_enum:
            if name in ("performance_class", "class"):
                previous = state.get(name)
                if previous and rng.random() < 0.6:
                    return previous if previous in ftype.members else rng.choice(ftype.members)
                return rng.choice(ftype.members)
            if name == "designation":  # the zones the documents name, by their names; `other` for the rest
                return entity.get("name") if entity.get("name") in ftype.members else "other"
            return entity.get(fact) if entity.get(fact) in ftype.members else rng.choice(ftype.members)
        type_name = ftype.name
        if type_name == "boolean":
            if name.startswith(("meets_", "approved", "introduced", "water_environment")):
                return rng.random() < 0.8
            return rng.random() < 0.12
        if type_name == "date":
            if name == "smart_retrofit_implemented_on":
                # about two in three enterprises retrofit, some of them after 2020
                if rng.random() < 0.35:
                    return ""
                return dt.date(rng.randint(2016, 2021), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
            return dt.date(year, rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        if type_name == "text":
            return entity.get(fact, entity.get("name", ""))
        if type_name == "money":
            base = state.setdefault(("base", name), rng.randint(5_000, 400_000))
            state[("base", name)] = int(base * rng.uniform(0.92, 1.25))
            return state[("base", name)]
        if type_name == "percent":
            if name.endswith(("_rate", "rate_pct")):
                return round(rng.uniform(70, 100), 1)
            return round(rng.uniform(-5, 30), 1)
        if type_name == "decimal":
            return round(rng.uniform(1, 1500), 2)
        # integers
        if name.endswith("position"):
            return entity["positions"][year][name]
        if name in ("city_annual_rank", "yearend_rank"):
            return entity["ranks"][year]
        if name == "star_level":
            level = state.get("star", rng.randint(0, 3))
            state["star"] = min(6, level + (1 if rng.random() < 0.25 else 0))
            return state["star"]
        if name.endswith(("_m2", "floor_area")):
            return rng.randint(5_000, 300_000)
        if name.endswith("_mu"):
            return rng.randint(20, 900)
        if name == "storeys":
            return rng.randint(1, 6)
        return rng.randint(0, 6)

    def member_value(self, kind: str, fact: str, ftype, entity: dict, year: int, state: dict):
        """The attributes the counts and totals of the documents are computed from."""
        rng = self.stream(kind, entity["id"], fact)
        if fact == "construction_started_on":  # most projects start in the year they are reported
            state["started"] = dt.date(year - (rng.random() < 0.3), rng.randint(1, 12), rng.randint(1, 28))
            return state["started"].isoformat()
        if fact == "production_started_on":  # in production 6–30 months later, or not yet
            if rng.random() < 0.3:
                return ""
            started = state.get("started") or dt.date(year, 1, 1)
            return (started + dt.timedelta(days=rng.randint(180, 900))).isoformat()
        if fact == "top500_or_top100_investor":
            return rng.random() < 0.1
        if fact in ("provincial_key_enterprise", "municipal_key_enterprise"):
            return rng.random() < (0.1 if fact.startswith("provincial") else 0.2)
        if fact in ("listing_reserve", "newly_introduced_supporting", "green_infrastructure_retrofit"):
            return rng.random() < 0.1
        if fact in ("newly_introduced_aaa_logistics", "newly_completed_aaa_logistics"):
            return bool(entity.get("host_service_zone")) and rng.random() < 0.05  # logistics firms are few
        if fact in ("newly_above_scale_service", "newly_branded_service", "newly_leading_or_brand"):
            return bool(entity.get("host_service_zone")) and rng.random() < 0.3  # service-zone enterprises only
        if fact in ("innovation_leading", "high_tech"):
            return rng.random() < 0.08
        if fact == "investment":  # 1000万 to 2亿
            return rng.randint(1_000, 20_000)
        if fact == "in_use_on":
            return dt.date(rng.randint(2012, 2020), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        if fact == "host_service_zone":
            return entity.get("host_service_zone", "")
        if fact == "employees":  # 5000–60000, growing slowly
            state["employees"] = int(state.get("employees", rng.randint(5_000, 50_000)) * rng.uniform(0.98, 1.08))
            return state["employees"]
        if ftype.is_reference:
            return entity["zone"]
        if fact == "industry":
            return entity["industry"]
        if fact == "main_business_revenue_yi":  # 20–1200亿, growing
            base = state.setdefault("revenue", rng.uniform(20, 600))
            state["revenue"] = base * rng.uniform(0.95, 1.3)
            return round(state["revenue"], 2)
        if fact == "leading_enterprises":
            return rng.randint(0, 5)
        if fact == "supporting_enterprises":
            return rng.randint(5, 40)
        raise ValueError(f"no sample values for {kind}.{fact}")

    # ---- entities ----------------------------------------------------------------------
    def entities(self, schemas) -> dict[str, list[dict]]:
        rng = self.rng
        zones = []
        positions = {year: rng.sample(range(1, 181), len(self.zones) * 2) for year in YEARS}
        for index, (zid, name, city) in enumerate(self.zones):
            zones.append({"id": zid, "name": name, "city": city, "province": "河南省",
                          "head_appointed_on": dt.date(rng.randint(2010, 2016), rng.randint(1, 12), 1).isoformat(),
                          "positions": {y: {"absolute_index_position": positions[y][2 * index],
                                            "development_index_position": positions[y][2 * index + 1],
                                            "provincial_assessment_position": positions[y][2 * index]}
                                        for y in YEARS}})
        for city in CITIES:
            members = [z for z in zones if z["city"] == city]
            for year in YEARS:
                for rank, zone in enumerate(rng.sample(members, len(members)), start=1):
                    zone.setdefault("ranks", {})[year] = rank
        service = [{"id": sid, "name": name, "city": city, "zone_type": kind, "positions": {
            y: {"provincial_position": rng.randint(1, 120)} for y in YEARS}}
            for sid, name, city, kind in self.service_zones]
        enterprises = []
        for n in range(1, 301):
            zone = rng.choice(zones)
            enterprises.append({"id": f"E{n:03d}", "name": f"{zone['name'][:2]}{rng.choice(FIRMS)}有限公司{n}",
                                "zone": zone["id"], "host_zone": zone["id"], "city": zone["city"]})
        for enterprise in enterprises:  # about one in ten is settled in a service zone of its city (入驻)
            if self.members_rng.random() < 0.1:
                enterprise["host_service_zone"] = self.members_rng.choice(
                    [s["id"] for s in service if s["city"] == enterprise["city"]])
        cadres = [{"id": f"C{n:02d}", "zone": zone["id"], "name": f"{zone['name']}主要负责人", "post_kind": "main"}
                  for n, zone in enumerate(zones, start=1)]
        projects = []
        for n in range(1, 121):
            zone = rng.choice(zones)
            projects.append({"id": f"P{n:03d}", "zone": zone["id"], "city": zone["city"], "province": "河南省",
                             "year": rng.choice(list(YEARS)), "service_zone": rng.choice(service)["id"]})
        # a quarter of the projects are in a service zone (and in no industrial zone), the rest in an
        # industrial zone only, so that each is counted once, for the kind of zone it is in
        for project in projects:
            if self.members_rng.random() < 0.25:
                project["zone"] = ""
            else:
                project["service_zone"] = ""
        clusters = []  # two industrial clusters per zone
        for index, zone in enumerate(zones):
            for industry in (FIRMS[index % len(FIRMS)], FIRMS[(index + 5) % len(FIRMS)]):
                clusters.append({"id": f"CL{len(clusters) + 1:02d}", "zone": zone["id"], "industry": industry})
        platforms = [{"id": f"RD{n:02d}", "enterprise": rng.choice(enterprises)["id"]} for n in range(1, 31)]
        streets = [{"id": f"ST{n:02d}", "service_zone": rng.choice(service)["id"]} for n in range(1, 11)]
        buildings = [{"id": f"B{n:02d}", "zone": rng.choice(zones)["id"]} for n in range(1, 41)]
        cities = [{"id": city, "city": city} for city in CITIES]
        provinces = [{"id": "河南省", "province": "河南省"}]
        talents = [{"id": f"T{n:02d}", "city": rng.choice(list(CITIES))} for n in range(1, 21)]
        payments = [{"id": f"TX{n:03d}", "enterprise": rng.choice(enterprises)["id"]} for n in range(1, 61)]
        by_kind = {"industrial_zone": zones, "service_zone": service, "enterprise": enterprises, "cadre": cadres,
                   "project": projects, "enterprise_platform": platforms, "commercial_street": streets,
                   "building": buildings, "city": cities, "talent": talents, "tax_payment": payments,
                   "province": provinces, "industrial_cluster": clusters}
        return {kind: rows for kind, rows in by_kind.items() if kind in schemas}

    def rows(self, kind: str, schema, entity: dict, quarterly: set[str]) -> list[dict]:
        state: dict = {}
        years = [entity["year"]] if "year" in entity else list(YEARS)
        rows = []
        static = {f: self.value(kind, f, s.type, entity, years[0], state)
                  for f, s in schema.facts.items() if s.period_kind is None}
        for year in years:
            row = {"id": entity["id"], "period": str(year), **static}
            for fact, spec in schema.facts.items():
                if spec.period_kind == "year":
                    row[fact] = self.value(kind, fact, spec.type, entity, year, state)
            rows.append(row)
            if kind in quarterly:
                for quarter in range(1, 5):
                    quarter_row = {"id": entity["id"], "period": f"{year}-Q{quarter}", **static}
                    for fact, spec in schema.facts.items():
                        if spec.period_kind == "quarter":
                            quarter_row[fact] = self.stream(kind, entity["id"], fact).randint(1, 10)
                    rows.append(quarter_row)
        return rows


def main() -> None:
    policies = policydsl.load(ROOT / "policies")
    schemas = policies.program.entities
    province = Province()
    OUT.mkdir(parents=True, exist_ok=True)
    # kinds with a quarterly fact, or a rule evaluated per quarter (the province's quarterly bulletin),
    # get a row per quarter as well
    quarterly = {kind for kind, schema in schemas.items()
                 if any(spec.period_kind == "quarter" for spec in schema.facts.values())}
    quarterly |= {rule.entity for rule in policies.program.rules if rule.evaluated_per == "quarter"}
    for kind, entities in province.entities(schemas).items():
        schema = schemas[kind]
        columns = ["id", "period", *schema.facts]
        path = OUT / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            count = 0
            for entity in entities:
                for row in province.rows(kind, schema, entity, quarterly):
                    writer.writerow({k: ("true" if v is True else "false" if v is False else v)
                                     for k, v in row.items()})
                    count += 1
        print(f"{path.relative_to(ROOT)}: {len(entities)} {kind}, {count} rows")


if __name__ == "__main__":
    main()
