"""SQLAlchemy tables, one module per table. Importing this package registers all of them on ``Base``."""

from quorum.models.active_selection import ActiveSelection
from quorum.models.active_setting import ActiveSetting
from quorum.models.api_token import ApiToken
from quorum.models.assignment import Assignment
from quorum.models.audit_event import AuditEvent
from quorum.models.base import Base
from quorum.models.consensus_fit import ConsensusFit
from quorum.models.critique_proposal import CritiqueProposal
from quorum.models.draft import Draft
from quorum.models.embedding import BatchCheckpoint, ItemEmbedding
from quorum.models.flag import Flag
from quorum.models.generation import Generation
from quorum.models.guideline import Guideline
from quorum.models.item import Item
from quorum.models.item_comment import ItemComment
from quorum.models.item_pin import ItemPin
from quorum.models.job import Job
from quorum.models.judge import Judge
from quorum.models.judge_verdict import JudgeVerdict
from quorum.models.judgment import Judgment
from quorum.models.judgment_version import JudgmentVersion
from quorum.models.membership import Membership
from quorum.models.model_call import ModelCall
from quorum.models.model_endpoint import ModelEndpoint
from quorum.models.project import Project
from quorum.models.qualification import Qualification
from quorum.models.quality_report import QualityReportCache
from quorum.models.review import Review
from quorum.models.reward_model import RewardModel
from quorum.models.reward_score import RewardScore
from quorum.models.suggestion import Suggestion
from quorum.models.synthetic_batch import SyntheticBatch
from quorum.models.synthetic_prompt import SyntheticPrompt
from quorum.models.user import User

__all__ = [
    "ActiveSelection",
    "ActiveSetting",
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "Base",
    "BatchCheckpoint",
    "ConsensusFit",
    "CritiqueProposal",
    "Draft",
    "Flag",
    "Generation",
    "Guideline",
    "Item",
    "ItemComment",
    "ItemEmbedding",
    "ItemPin",
    "Job",
    "Judge",
    "JudgeVerdict",
    "Judgment",
    "JudgmentVersion",
    "Membership",
    "ModelCall",
    "ModelEndpoint",
    "Project",
    "Qualification",
    "QualityReportCache",
    "Review",
    "RewardModel",
    "RewardScore",
    "Suggestion",
    "SyntheticBatch",
    "SyntheticPrompt",
    "User",
]
