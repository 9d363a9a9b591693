"""Numbers as text (`values.format_number`, for explanations, fmt and every text output): a
finite decimal exactly, whatever its length; any other number rounded to 6 places, marked ≈.
The text was made by a Decimal division at 28 significant digits, which rounded a 30-digit
number that `check` takes (and `fmt` then refused the file)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from policydsl.cli import main
from policydsl.values import format_number

BIG = 10 ** 30


@given(st.integers(-BIG, BIG), st.integers(0, 60), st.integers(0, 60))
def test_a_finite_decimal_is_written_exactly(numerator, twos, fives):
    value = Fraction(numerator, 2 ** twos * 5 ** fives)
    text = format_number(value)
    assert not text.startswith("≈") and Fraction(text) == value
    assert text == "0" or not (text.endswith("0") and "." in text)  # no trailing zeros


@given(st.integers(-BIG, BIG), st.sampled_from([3, 7, 9, 11, 13, 3 * 2 ** 9, 7 * 5 ** 8]))
def test_any_other_number_is_rounded_to_six_places_and_marked(numerator, denominator):
    value = Fraction(numerator, denominator)
    if value.denominator in (1,) or all(value.denominator % p for p in (3, 7, 11, 13)):
        return
    text = format_number(value)
    assert text.startswith("≈")
    assert abs(Fraction(text[1:]) - value) <= Fraction(1, 2 * 10 ** 6)


def test_thirty_digits_are_all_written_and_fmt_keeps_them(tmp_path, capsys):
    assert format_number(Fraction(333333333333333333333333333333, BIG)) == "0.333333333333333333333333333333"
    assert format_number(Fraction(2 * 10 ** 25, 3)) == "≈6666666666666666666666666.666667"
    policy = tmp_path / "p.pol"
    policy.write_text('policy p\n  title "t"\nparameter third: decimal = 0.333333333333333333333333333333\n',
                      encoding="utf-8")
    assert main(["fmt", "--check", str(policy)]) == 0, capsys.readouterr()
