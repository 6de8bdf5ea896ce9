"""SQLAlchemy tables, one module per table. Importing this package registers all of them on ``Base``."""

from quorum.models.api_token import ApiToken
from quorum.models.assignment import Assignment
from quorum.models.audit_event import AuditEvent
from quorum.models.base import Base
from quorum.models.candidate import Candidate
from quorum.models.consensus_fit import ConsensusFit
from quorum.models.flag import Flag
from quorum.models.generation import Generation
from quorum.models.guideline import Guideline
from quorum.models.item import Item
from quorum.models.item_comment import ItemComment
from quorum.models.item_pin import ItemPin
from quorum.models.job import Job
from quorum.models.judgment import Judgment
from quorum.models.membership import Membership
from quorum.models.model_call import ModelCall
from quorum.models.model_endpoint import ModelEndpoint
from quorum.models.project import Project
from quorum.models.qualification import Qualification
from quorum.models.quality_report import QualityReportCache
from quorum.models.review import Review
from quorum.models.synthetic_batch import SyntheticBatch
from quorum.models.synthetic_prompt import SyntheticPrompt
from quorum.models.user import User

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "Base",
    "Candidate",
    "ConsensusFit",
    "Flag",
    "Generation",
    "Guideline",
    "Item",
    "ItemComment",
    "ItemPin",
    "Job",
    "Judgment",
    "Membership",
    "ModelCall",
    "ModelEndpoint",
    "Project",
    "Qualification",
    "QualityReportCache",
    "Review",
    "SyntheticBatch",
    "SyntheticPrompt",
    "User",
]
