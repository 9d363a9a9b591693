"""The words of explanations in each language (`--lang en|zh`)."""

_OPS = {">=": "≥", "<=": "≤", "!=": "≠"}

TEXT = {
    "en": {
        "active": "applies", "superseded": "recorded, but superseded", "not_fired": "did not happen",
        "not_evaluable": "could not be decided (missing data)", "no_record": "no data for this entity and period",
        "not_in_force": "the policy does not govern this period, or was not in force when it was evaluated",
        "no_rule": "no rule of the loaded policies produces this outcome for this entity kind",
        "rule": "rule", "policy": "policy", "clause": "clause", "because": "because",
        "holds": "holds", "fails": "does not hold", "unknown": "is unknown",
        "facts": "facts read", "missing": "missing", "superseded_by": "superseded by",
        "needed": "{left} = {value}; {op} {threshold} needed", "failed": "what failed", "amount": "amount", "value": "value",
        "of": "of", "in": "in", "万元": "万元", "static": "static",
        "stronger": "the stronger outcome", "cannot": "cannot be decided without",
        "deeper": "… (deeper values: --format json)", "above": "(explained above)",
        "members": "{n} {kind}{where}{via}", "more": "… ({n} more)", "none": "none",
        "excluded": "{n} {kind} excluded by the condition", "short": "{member} fell short",
        "left_out": "{n} {kind} left out (missing data)",
    },
    "zh": {
        "active": "适用", "superseded": "已触发，但被更重/更高的结果取代", "not_fired": "未触发",
        "not_evaluable": "因数据缺失无法判定", "no_record": "该主体在该期间没有数据",
        "not_in_force": "政策不适用于该期间，或评价时不在有效期内",
        "no_rule": "已加载的政策中没有规则对该类主体产生此结果",
        "rule": "规则", "policy": "政策", "clause": "条款", "because": "依据",
        "holds": "成立", "fails": "不成立", "unknown": "未知",
        "facts": "读取的事实", "missing": "缺失", "superseded_by": "被取代于",
        "needed": "{left} = {value}，需要 {op} {threshold}", "failed": "不满足的条件", "amount": "金额", "value": "数值",
        "of": "的", "in": "于", "万元": "万元", "static": "静态",
        "stronger": "更强的结果", "cannot": "无法判定，缺少",
        "deeper": "…（更深层的数值见 --format json）", "above": "（见上文）",
        "members": "{n} 个 {kind}{where}{via}", "more": "…（另 {n} 个）", "none": "无",
        "excluded": "{n} 个 {kind} 不满足条件", "short": "{member} 未达到",
        "left_out": "{n} 个 {kind} 因数据缺失未计入",
    },
}
