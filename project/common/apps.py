from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "project.common"
    label = "common"

    def ready(self):
        from project.common.fields import refuse_numbers_as_text

        refuse_numbers_as_text()
