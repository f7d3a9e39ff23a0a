"""What a team would write without chatkeep: the comparison peer of the benchmarks.

NAIVE_ROOT=/some/dir uvicorn bench.naive_app:app
"""

from __future__ import annotations

import os

import aiofiles
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

ROOT = os.environ.get("NAIVE_ROOT", ".")


async def small(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def download(request: Request) -> Response:
    return FileResponse(os.path.join(ROOT, request.path_params["name"]))


async def upload(request: Request) -> Response:
    path = os.path.join(ROOT, request.path_params["name"])
    async with aiofiles.open(path, "wb") as target:
        async for chunk in request.stream():
            await target.write(chunk)
    return JSONResponse({"stored": request.path_params["name"]}, status_code=201)


async def form(request: Request) -> Response:
    async with request.form(max_part_size=1024 * 1024) as parsed:
        part = parsed["file"]
        assert isinstance(part, UploadFile)
        path = os.path.join(ROOT, "form-" + (part.filename or "upload"))
        async with aiofiles.open(path, "wb") as target:
            while chunk := await part.read(1024 * 1024):
                await target.write(chunk)
    return JSONResponse({"stored": path}, status_code=201)


app = Starlette(
    routes=[
        Route("/small.json", small),
        Route("/files/{name}", download),
        Route("/upload/{name}", upload, methods=["POST"]),
        Route("/form", form, methods=["POST"]),
    ]
)
