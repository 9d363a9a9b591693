"""The message catalogue: every word an explanation shows, in each language (`--lang en|zh`).

In: a `Message` (a key and its arguments, from the explainer or a renderer) and a language. Out:
text. Each key has one template per language; an argument that is itself a message is written in
the same language, a tuple is a list, a value is written as the language writes values (true is
「是」 in Chinese), None is nothing. A name (`name.*`) shows its declared label in Chinese and its
identifier in English. `tests/test_messages.py` fails when a key lacks a language.
"""

from __future__ import annotations

from policydsl.engine.readings import Message
from policydsl.values import Duration, Unknown, format_value

LANGUAGES = ("zh", "en")

_NAMES = {key: ("{id}", "{label}") for key in ("name.fact", "name.value", "name.parameter", "name.table",
                                               "name.kind")}

# key: (English, Chinese)
_CATALOGUE: dict[str, tuple[str, str]] = {
    **_NAMES,
    "name.builtin": ("{id}", "{id}"),
    "builtin.period_start": ("period_start", "期初日"),
    "builtin.period_end": ("period_end", "期末日"),
    "builtin.evaluation_date": ("evaluation_date", "评价日"),
    # expressions
    "expr.const": ("{value}", "{value}"),
    "expr.text": ('"{value}"', "“{value}”"),
    "expr.paren": ("({inner})", "（{inner}）"),
    "expr.code": ("{text}", "{text}"),
    "expr.via": ("{ref}.{inner}", "{ref}的{inner}"),
    "expr.lookup": ("{table}[{key}]", "{table}[{key}]"),
    "expr.add": ("{left} + {right}", "{left} + {right}"),
    "expr.sub": ("{left} - {right}", "{left} − {right}"),
    "expr.mul": ("{left} * {right}", "{left} × {right}"),
    "expr.div": ("{left} / {right}", "{left} ÷ {right}"),
    "expr.neg": ("-{operand}", "−{operand}"),
    "expr.eq": ("{left} = {right}", "{left} = {right}"),
    "expr.ne": ("{left} != {right}", "{left} ≠ {right}"),
    "expr.lt": ("{left} < {right}", "{left} < {right}"),
    "expr.le": ("{left} <= {right}", "{left} ≤ {right}"),
    "expr.gt": ("{left} > {right}", "{left} > {right}"),
    "expr.ge": ("{left} >= {right}", "{left} ≥ {right}"),
    "expr.and": ("{left} and {right}", "{left} 且 {right}"),
    "expr.or": ("{left} or {right}", "{left} 或 {right}"),
    "expr.not": ("not {operand}", "非 {operand}"),
    "expr.in": ("{operand} in {{{options}}}", "{operand} 属于 {{{options}}}"),
    "expr.not_in": ("{operand} not in {{{options}}}", "{operand} 不属于 {{{options}}}"),
    "expr.if": ("if {condition} then {then} else {otherwise}", "若 {condition} 则 {then}，否则 {otherwise}"),
    "expr.when": ("{value} when {condition}", "{value}（仅当{condition}，否则缺失）"),
    "expr.list": ("{items}", "{items}"),
    "expr.list_literal": ("[{items}]", "［{items}］"),
    "fn.min": ("min({items})", "较小值（{items}）"),
    "fn.max": ("max({items})", "较大值（{items}）"),
    "fn.abs": ("abs({operand})", "绝对值（{operand}）"),
    "fn.round": ("round({operand}, {other})", "{operand}四舍五入保留{other}位小数"),
    "fn.is_missing": ("is_missing({operand})", "{operand}缺失"),
    "fn.value_or": ("value_or({operand}, {other})", "{operand}（缺失时取{other}）"),
    "fn.call": ("{name}({items})", "{name}({items})"),
    "hist.previous": ("previous({operand})", "上期{operand}"),
    "hist.previous_n": ("previous({operand}, {n})", "{n}期前的{operand}"),
    "hist.change": ("change({operand})", "{operand}较上期的变化"),
    "hist.change_n": ("change({operand}, {n})", "{operand}较{n}期前的变化"),
    "hist.streak": ("streak({operand})", "连续满足「{operand}」的期数"),
    "hist.count_periods": ("count_periods({operand}, {n})", "近{n}期中满足「{operand}」的期数"),
    "hist.first_time": ("first_time({operand})", "首次满足「{operand}」"),
    "agg.rank": ("rank({operand})", "{operand}的组内排名"),
    "agg.rank_ascending": ("rank({operand}, ascending)", "{operand}的组内排名（从低到高）"),
    "agg.top": ("top({operand}, {n})", "{operand}居组内前{n}名"),
    "agg.bottom": ("bottom({operand}, {n})", "{operand}居组内后{n}名"),
    "agg.group_sum": ("group_sum({operand})", "组内{operand}合计"),
    "agg.group_mean": ("group_mean({operand})", "组内{operand}平均值"),
    "agg.group_min": ("group_min({operand})", "组内{operand}最小值"),
    "agg.group_max": ("group_max({operand})", "组内{operand}最大值"),
    "agg.group_count": ("group_count({operand})", "组内满足「{operand}」的个数"),
    "agg.where": ("{aggregate} [where: {where}]", "{aggregate}（仅计满足「{where}」的成员）"),
    "agg.within_all": ("{aggregate} [within: all]", "{aggregate}（全部范围）"),
    "members.count": ("count({kind} via {via}{where})", "{where}{kind}数"),
    "members.sum": ("sum({operand} over {kind} via {via}{where})", "{where}{kind}的{operand}合计"),
    "members.mean": ("mean({operand} over {kind} via {via}{where})", "{where}{kind}的{operand}平均值"),
    "members.min": ("min({operand} over {kind} via {via}{where})", "{where}{kind}的{operand}最小值"),
    "members.max": ("max({operand} over {kind} via {via}{where})", "{where}{kind}的{operand}最大值"),
    "members.any": ("any({operand} over {kind} via {via}{where})", "是否有{where}{kind}满足「{operand}」"),
    "members.all": ("all({operand} over {kind} via {via}{where})", "{where}{kind}是否全部满足「{operand}」"),
    "members.reported": ("some {kind}{where} has a row (via {via})", "有{where}{kind}报送数据"),
    # the filter of a cross-kind aggregate, written where the language writes it (after `via`)
    "members.where": (" where {where}", "满足「{where}」的"),
    # the explainer's notes
    "note.no_record": ("{period}: no record", "{period}：无记录"),
    "note.period_value": ("{period}: {value}", "{period}：{value}"),
    "note.via": ("{kind} {entity}", "{kind} {entity}"),
    "note.group": ("group {group}: {n} members{where} in {period}{without}",
                   "分组 {group}：{period} 期{where}成员共{n}个{without}"),
    "note.group_by": ("{attribute} = {value}", "{attribute} = {value}"),
    "note.group_all": ("all {kind}", "全部{kind}"),
    "note.group_where": (" where {code}", "满足「{condition}」的"),
    "note.without_value": (", {n} without a value", "，其中{n}个无数值"),
    "note.descending": ("ordered descending: {members}{more}", "从高到低：{members}{more}"),
    "note.ascending": ("ordered ascending: {members}{more}", "从低到高：{members}{more}"),
    "note.member_value": ("{entity} {value}", "{entity} {value}"),
    "note.more_hidden": (" …", " …"),
    "note.cut": ("…", "…"),
    "note.above": ("explained above", "见上文"),
    # the renderers' own words
    "status.active": ("applies", "适用"),
    "status.superseded": ("recorded, but superseded", "已触发，但被更重/更高的结果取代"),
    "status.not_fired": ("did not happen", "未触发"),
    "status.not_evaluable": ("could not be decided (missing data)", "因数据缺失无法判定"),
    "status.not_evaluable_undefined": ("could not be decided: a value it needs has none, though no fact is missing "
                                       "(a division by zero, or a value defined only where its condition holds)",
                                       "无法判定：所需的值无定义（如除数为零，或仅在条件成立时定义的值），并非数据缺失"),
    "status.no_record": ("no data for this entity and period", "该主体在该期间没有数据"),
    "status.not_in_force": ("the policy does not govern this period, or was not in force when it was evaluated",
                            "政策不适用于该期间，或评价时不在有效期内"),
    "status.per_year": ("its rules are evaluated per year (a rule reading no quarterly fact is yearly): ask for a year",
                        "其规则按年度评价（不读取季度事实的规则按年度评价）：请指定年度"),
    "status.per_quarter": ("its rules are evaluated per quarter: ask for a quarter", "其规则按季度评价：请指定季度"),
    "status.no_rule": ("no rule of the loaded policies produces this outcome for this entity kind",
                       "已加载的政策中没有规则对该类主体产生此结果"),
    "kind.sanction": ("sanction", "惩戒"), "kind.reward": ("reward", "奖励"),
    "kind.eligibility": ("eligibility", "资格"), "kind.measure": ("measure", "措施"),
    "kind.classification": ("classification", "认定"), "kind.target": ("target", "目标"),
    "kind.deadline": ("deadline", "时限"), "kind.computed": ("computed", "计算值"),
    "kind.status": ("status", "文件效力"),
    "word.rule": ("rule", "规则"), "word.policy": ("policy", "政策"), "word.clause": ("clause", "条款"),
    "word.because": ("because", "依据"), "word.holds": ("holds", "成立"), "word.fails": ("does not hold", "不成立"),
    "word.unknown": ("is unknown", "未知"), "word.facts": ("facts read", "读取的事实"),
    "word.missing": ("missing", "缺失"), "word.superseded_by": ("superseded by", "被取代于"),
    "word.not_in_force": ("not evaluated: its policy does not govern this period, or was not in force when it was "
                          "evaluated", "未评价：所属政策不适用于该期间，或评价时不在有效期内"),
    # why a rule's policy does not apply (`ir.Policy.not_applying`), with its dates
    "outside.governs_from": ("policy {policy} governs periods ending from {start}; {period} ends on {end}",
                             "政策 {policy} 适用于 {start} 及以后结束的期间；{period} 于 {end} 结束"),
    "outside.governs_until": ("policy {policy} governs periods ending until {until}; {period} ends on {end}",
                              "政策 {policy} 适用于 {until} 及以前结束的期间；{period} 于 {end} 结束"),
    "outside.not_yet_in_effect": ("policy {policy} takes effect on {start}, after {day}, the day {period} is evaluated",
                                  "政策 {policy} 于 {start} 生效，晚于 {period} 的评价日 {day}"),
    "outside.repealed": ("policy {policy} was repealed on {repealed}, by {day}, the day {period} is evaluated",
                         "政策 {policy} 已于 {repealed} 废止，早于或即为 {period} 的评价日 {day}"),
    "word.failed": ("what failed", "不满足的条件"), "word.amount": ("amount", "金额"),
    "word.value": ("value", "数值"), "word.static": ("static", "静态"),
    "word.cannot": ("cannot be decided without", "无法判定，缺少"),
    "word.deeper": ("… (deeper values: --format json)", "…（更深层的数值见 --format json）"),
    "word.above": ("(explained above)", "（见上文）"),
    "word.none": ("none", "无"),
    "word.needed": ("{left} = {value}; {op} {threshold} needed", "{left} = {value}，需要 {op} {threshold}"),
    "word.members": ("{n} {kind}{where}{via}", "{n} 个{where}{kind}{via}"),
    "word.members_where": (" where {condition}", "满足「{condition}」的"),
    "word.members_via": (" (via {via})", "（经 {via}）"),
    "word.more": ("… ({n} more)", "…（另 {n} 个）"),
    "word.members_list": ("{head}: {names}", "{head}：{names}"),
    "word.excluded": ("{n} {kind} excluded by the condition:", "{n} 个{kind}不满足条件："),
    "word.short": ("{member} fell short: {parts}", "{member} 未达到：{parts}"),
    "word.left_out": ("{n} {kind} left out (missing data):", "{n} 个{kind}因数据缺失未计入："),
    "word.lacks": ("{member}: missing {facts}", "{member}：缺失 {facts}"),
    "word.parts": ("; ", "；"),
    "word.missing_list": ("missing: {facts}", "缺失：{facts}"),
    "word.missing_in": (" (missing: {facts})", "（缺失：{facts}）"),
    "word.because_parts": ("{expr}: {parts}", "{expr}：{parts}"),
    "word.missing_fact": ("{fact} of {entity} in {period}", "{entity} {period} 的{fact}"),
    "word.as_of": ("status as of {day} (--as-of): a document's status is decided on that day, whatever the period "
                   "asked", "文件效力按 {day}（--as-of）当日判定，与所问期间无关"),
    "word.a_record": ("a record", "记录"),
    # a fact read in a period its entity has no record in: the whole row is absent, not one cell
    "word.missing_unrecorded": ("{fact} of {entity} in {period} (no record in {period})",
                                "{entity} {period} 的{fact}（该期无记录）"),
    "word.no_record_in": ("(no record in {period})", "（{period} 无记录）"),
    "word.missing_static": ("{fact} of {entity}", "{entity} 的{fact}"),
    "word.at_period": ("{period}: {text}", "{period}：{text}"),
    "word.rank": ("rank {rank} of {n}", "第{rank}名（共{n}个）"),
    "word.rank_alone": ("rank {rank}", "第{rank}名"),
    # `explain --outcome X` without --period: the periods X was received in (active), those it was
    # recorded but superseded in, and which one is explained
    "periods.received": ("{entity} got {outcome} in {periods}", "{entity} 在 {periods} 获得 {outcome}"),
    "periods.only_superseded": ("{entity} got {outcome} only superseded, in {periods}",
                                "{entity} 的 {outcome} 仅在 {periods} 触发，均被取代"),
    "periods.superseded": ("recorded but superseded in {periods}", "在 {periods} 触发但被取代"),
    "periods.never": ("{entity} never got {outcome} in the data", "数据中 {entity} 从未获得 {outcome}"),
    "periods.explaining": ("explaining {period} (give --period for another)", "解释 {period}（可用 --period 指定其他期间）"),
    "periods.explaining_superseded": ("explaining {period}, the latest superseded (give --period for another)",
                                      "解释最近被取代的 {period}（可用 --period 指定其他期间）"),
    "periods.separator": ("; ", "；"),
    "value.true": ("true", "是"), "value.false": ("false", "否"), "value.unknown": ("unknown", "未知"),
    "unit.years": ("{n} years", "{n}年"), "unit.year": ("{n} year", "{n}年"),
    "unit.months": ("{n} months", "{n}个月"), "unit.month": ("{n} month", "{n}个月"),
    "unit.days": ("{n} days", "{n}天"), "unit.day": ("{n} day", "{n}天"),
    "unit.money": ("{value}", "{value}万元"),
    "list.separator": (", ", "、"),
    # `policydsl diff`: what a revision changes
    "diff.none": ("no decision changes ({unchanged} unchanged)", "决定无变化（{unchanged} 项未变）"),
    "diff.some": ("{n} decisions change ({unchanged} unchanged)", "{n} 项决定有变化（{unchanged} 项未变）"),
    "diff.one": ("1 decision changes ({unchanged} unchanged)", "1 项决定有变化（{unchanged} 项未变）"),
    "diff.gained": ("gained", "新增"), "diff.lost": ("lost", "取消"), "diff.amount": ("amount changed", "金额变化"),
    "diff.value": ("value changed", "数值变化"), "diff.status": ("status changed", "状态变化"),
    "diff.amount_was": ("amount {old} → {new}", "金额 {old} → {new}"),
    "diff.value_was": ("value {old} → {new}", "数值 {old} → {new}"),
    "diff.with_amount": ("amount {amount}", "金额 {amount}"), "diff.with_value": ("value {value}", "数值 {value}"),
    "diff.superseded_by": ("(superseded by {rule})", "（被 {rule} 取代）"),
    "diff.heading": ("{outcome} for {entity} in {period}: {change}", "{entity} {period} {outcome}：{change}"),
    "diff.old": ("OLD", "修订前"), "diff.new": ("NEW", "修订后"),
}

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {key: en for key, (en, _) in _CATALOGUE.items()},
    "zh": {key: zh for key, (_, zh) in _CATALOGUE.items()},
}


def status_key(status: str, missing: tuple) -> str:
    """The words of an explanation's status: undecided with no fact missing is not "missing data"."""
    return "status.not_evaluable_undefined" if status == "not_evaluable" and not missing else f"status.{status}"


def word(key: str, lang: str, /, **args: object) -> str:
    """The template of `key` in `lang`, filled with `args` (each written in `lang`)."""
    template = CATALOGUE[lang][key]
    if "label" in args and args["label"] is None:  # a name without a declared label reads as itself
        args["label"] = args.get("id")
    return template.format(**{name: argument(value, lang) for name, value in args.items()})


def say(message: Message, lang: str) -> str:
    return word(message.key, lang, **dict(message.args))


def argument(value: object, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Message):
        return say(value, lang)
    if isinstance(value, tuple):
        return CATALOGUE[lang]["list.separator"].join(argument(item, lang) for item in value)
    if isinstance(value, str):
        return value
    return value_text(value, lang)


def value_text(value: object, lang: str) -> str:
    """A value as the language writes it: numbers and dates as `format_value` does, true/false
    and unknown in words, durations with the language's units."""
    if isinstance(value, bool):
        return CATALOGUE[lang]["value.true" if value else "value.false"]
    if isinstance(value, Unknown):
        return CATALOGUE[lang]["value.unknown"]
    if isinstance(value, Duration):
        parts = []
        years, months = divmod(value.months, 12)
        if years and not months:
            parts.append(word("unit.year" if years == 1 else "unit.years", lang, n=str(years)))
        elif value.months:
            parts.append(word("unit.month" if value.months == 1 else "unit.months", lang, n=str(value.months)))
        if value.days or not parts:
            parts.append(word("unit.day" if value.days == 1 else "unit.days", lang, n=str(value.days)))
        return " ".join(parts)
    return format_value(value)
