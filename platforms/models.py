"""The platforms app's models, gathered for Django's app loading. Code imports each model from its own
sub-package (platforms.registry, platforms.ingest), never from here."""
from platforms.ingest.models import PlatformToken
from platforms.registry.models import LearningPlatform, TrainingBase

__all__ = ["LearningPlatform", "PlatformToken", "TrainingBase"]
