"""What intake's routes are given: the unit of work, against intake's own database only."""

from typing import Annotated

from fastapi import Depends

from services.intake.access import authorize
from shared.runtime import work_dependency
from shared.work import UnitOfWork

IntakeWork = Annotated[UnitOfWork, Depends(work_dependency("intake", authorize))]
