"""The form of a case's representative works (代表作): up to the scheme's limit, in order, each one of the
talent's achievements with a contribution statement (the service checks the rules; this only reads)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.evaluation.services.works import STATEMENT_MAX


class WorksForm(forms.Form):
    """One row per place (1 … `limit`): an achievement (blank leaves the place empty) and a statement."""

    def __init__(self, *args, holdings, limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        options = [("", _("（不选）"))] + [
            (
                str(h.achievement_id),
                f"{h.achievement.title}（{h.achievement.get_kind_display()}，"
                f"{h.achievement.achieved_on:%Y-%m-%d}）",
            )
            for h in holdings
        ]
        self.limit = limit
        for position in range(1, limit + 1):
            self.fields[f"achievement_{position}"] = forms.TypedChoiceField(
                label=_("第%(n)d件") % {"n": position},
                choices=options,
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"statement_{position}"] = forms.CharField(
                label=_("本人贡献说明"),
                required=False,
                max_length=STATEMENT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self):
        data = super().clean() or {}
        for position in range(1, self.limit + 1):
            if data.get(f"statement_{position}", "").strip() and data.get(f"achievement_{position}") is None:
                self.add_error(
                    f"achievement_{position}",
                    _("第%(n)d件：填写了贡献说明，请选择对应的成果") % {"n": position},
                )
        return data

    @staticmethod
    def initial_of(works) -> dict:
        initial: dict = {}
        for position, work in enumerate(works, start=1):
            initial[f"achievement_{position}"] = work.achievement_id
            initial[f"statement_{position}"] = work.statement
        return initial

    def rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [
            (position, self[f"achievement_{position}"], self[f"statement_{position}"])
            for position in range(1, self.limit + 1)
        ]

    def choices(self) -> list[tuple[int, str]]:
        """(achievement id, statement) of the filled places, in order."""
        chosen = []
        for position in range(1, self.limit + 1):
            achievement = self.cleaned_data.get(f"achievement_{position}")
            if achievement is not None:
                chosen.append((achievement, self.cleaned_data.get(f"statement_{position}", "")))
        return chosen
