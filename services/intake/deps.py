from typing import Annotated

from fastapi import Depends

from shared.db import Database
from shared.runtime import database_dependency

get_intake_db = database_dependency("intake")
IntakeDb = Annotated[Database, Depends(get_intake_db)]
