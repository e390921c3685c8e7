from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import RoleMembership
from .permissions import sync_staff_access


@receiver(post_save, sender=RoleMembership, dispatch_uid="records.membership_saved")
def membership_saved(sender, instance, raw=False, **kwargs):
    if not raw:  # loaddata writes fixtures as they are
        sync_staff_access(user=instance.user)


@receiver(post_delete, sender=RoleMembership, dispatch_uid="records.membership_deleted")
def membership_deleted(sender, instance, **kwargs):
    # Deleting a user cascades here: look the user up rather than trust the instance's cached one.
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    if user is not None:
        sync_staff_access(user=user)
