"""Landed migrations name these validators as `records.validators.<name>`; they live in records.people.rules."""
from records.people.rules import validate_credit_code, validate_id_number

__all__ = ["validate_credit_code", "validate_id_number"]
