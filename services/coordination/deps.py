from typing import Annotated

from fastapi import Depends

from shared.db import Database
from shared.runtime import database_dependency

get_coordination_db = database_dependency("coordination")
CoordinationDb = Annotated[Database, Depends(get_coordination_db)]
