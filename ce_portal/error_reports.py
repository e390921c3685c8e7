"""Error reports never carry an ID or phone number (个人信息保护法): the mail to the admins on a 500 and DEBUG's
page show the request's form fields and every frame's variables, and a number typed into registration, the
staff import, a log-in or a look-up would otherwise travel in them. Settings named like keys
(FIELD_ENCRYPTION_KEYS, ID_NUMBER_HASH_KEY) are hidden by Django already."""
import re

from django.views.debug import SafeExceptionReporterFilter

# Form fields, variables and dict keys that hold a person's numbers (a log-in's username is an ID number).
PERSONAL = re.compile(r"id_number|id_numbers|phone|username|number", re.IGNORECASE)


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, plus personal numbers hidden always (DEBUG too: a debug page gets shown around)."""

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not any(PERSONAL.search(name) for name in parameters):
            return parameters
        cleansed = parameters.copy()
        for name in cleansed:
            if PERSONAL.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self._cleansed(name, value))
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]

    def _cleansed(self, name, value):
        if isinstance(name, str) and PERSONAL.search(name):
            return self.cleansed_substitute
        if isinstance(value, dict):
            return {key: self._cleansed(key, item) for key, item in value.items()}
        return value
