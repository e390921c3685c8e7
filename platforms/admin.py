from django.contrib import admin

from .models import LearningPlatform, TrainingBase


@admin.register(LearningPlatform)
class LearningPlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "category", "level", "years_approved", "active"]
    list_filter = ["category", "level", "active"]


@admin.register(TrainingBase)
class TrainingBaseAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "active"]
