from django import forms

from records.announcements.services import AnnouncementInput

_DATE_ERRORS = {"invalid": "请填写正确的日期，如 2025-09-22。"}


class AnnouncementForm(forms.Form):
    """An announcement's text, dates and attachment; the dates and the file are checked by the service's rules."""

    title = forms.CharField(label="标题", max_length=100,
                            error_messages={"required": "请填写公告标题。", "max_length": "标题最多 100 个字。"})
    body = forms.CharField(label="正文", max_length=5000, widget=forms.Textarea(attrs={"rows": 10}),
                           error_messages={"required": "请填写公告正文。", "max_length": "正文最多 5000 个字。"})
    publish_on = forms.DateField(label="发布日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text="当天起显示在各角色的工作台上。",
                                 error_messages={"required": "请填写发布日期。", **_DATE_ERRORS})
    expires_on = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text="显示到截止日期当天（含），须晚于发布日期。",
                                 error_messages={"required": "请填写截止日期。", **_DATE_ERRORS})
    attachment = forms.FileField(
        label="附件（选填）", required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.doc,.docx,.xls,.xlsx"}),
        help_text="PDF、Word（DOC/DOCX）或 Excel（XLS/XLSX），不超过 10 MB；修改时选择新文件即替换原附件。",
        error_messages={"empty": "所选附件是空文件，请重新选择。"},
    )
    remove_attachment = forms.BooleanField(label="删除原附件", required=False)

    def __init__(self, *args, has_attachment: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_attachment:
            del self.fields["remove_attachment"]

    @property
    def data_input(self) -> AnnouncementInput:
        return AnnouncementInput(**{name: self.cleaned_data[name]
                                    for name in ("title", "body", "publish_on", "expires_on")})
