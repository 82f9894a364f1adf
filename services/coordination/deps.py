"""What coordination's routes are given: the unit of work, against coordination's own database only."""

from typing import Annotated

from fastapi import Depends

from services.coordination.access import authorize
from shared.runtime import work_dependency
from shared.work import UnitOfWork

CoordinationWork = Annotated[UnitOfWork, Depends(work_dependency("coordination", authorize))]
