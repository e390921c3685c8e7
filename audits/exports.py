"""The monitor's downloads use the portal's shared table exports (ce_portal/exports.py)."""
from ce_portal.exports import FORMATS, table_response  # noqa: F401
