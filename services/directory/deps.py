"""What directory's routes are given: the unit of work, against directory's own database only."""

from typing import Annotated

from fastapi import Depends

from services.directory.access import authorize
from shared.runtime import work_dependency
from shared.work import UnitOfWork

DirectoryWork = Annotated[UnitOfWork, Depends(work_dependency("directory", authorize))]
