"""The admin API, on only when JJQA_ADMIN_TOKEN is set: upload (multipart), list and delete
documents, read the text the index extracted from one, and watch the background build.

    POST   /admin/documents            multipart field `file` (one or more); ?replace=true
    GET    /admin/documents            every document, with what the live build holds of it
    GET    /admin/documents/{name}     one document and its extracted text
    DELETE /admin/documents/{name}
    GET    /admin/progress             the build: state, documents done and total

An upload is checked whole (size, type by content, readable within the time limit) before it
is placed; a refused one changes nothing and starts no build. A change starts the incremental
build in the background; answers come from the old build until the new one is published."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import UploadFile

from bot.errors import DocumentError, UnknownDocument
from bot.settings import Settings
from bot.web.errors import RequestRejected, Unauthorized
from index.background import Rebuilder
from index.documents import Documents

MAX_FILES = 20


class Refused(RequestRejected):
    """A document the admin API does not take (unknown type, unreadable, a name taken)."""

    status = 422


class NoSuchDocument(RequestRejected):
    """No document has the name given."""

    status = 404


def admin_router(settings: Settings, token: str, rebuilder: Rebuilder) -> APIRouter:
    """The /admin routes over the documents folder of `settings`, each behind the bearer
    `token` (JJQA_ADMIN_TOKEN)."""
    bearer = HTTPBearer(auto_error=False, description="JJQA_ADMIN_TOKEN")
    documents = Documents(settings)

    def require_admin(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)):
        given = credentials.credentials.encode("utf-8") if credentials else b""
        if not token or not hmac.compare_digest(given, token.encode("utf-8")):
            raise Unauthorized("missing or wrong admin token", {"WWW-Authenticate": "Bearer"})

    router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

    @router.post("/documents", status_code=201, summary="Upload documents (multipart `file`)")
    async def upload(request: Request, replace: bool = False) -> dict:
        """Each file is checked before any is placed; one refused file refuses them all."""
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
        try:
            files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
            if not files:
                raise Refused("no file: send the document in the multipart field `file`")
            uploads = [(f.file, f.filename or "") for f in files]
            try:
                names = await run_in_threadpool(documents.add_streams, uploads, replace=replace)
            except DocumentError as e:
                raise Refused(str(e)) from None
        finally:
            await form.close()
        return {"added": names, "progress": rebuilder.request("添加 " + "、".join(names))}

    @router.get("/documents", summary="List the documents")
    async def listing() -> dict:
        infos = await run_in_threadpool(documents.list)
        return {"documents": [i.to_dict() for i in infos], "progress": rebuilder.progress()}

    @router.get("/documents/{name:path}", summary="One document and its extracted text")
    async def one(name: str) -> dict:
        return await run_in_threadpool(_one, documents, name)

    @router.delete("/documents/{name:path}", summary="Delete a document")
    async def delete(name: str) -> dict:
        try:
            removed = await run_in_threadpool(documents.remove, [name])
        except DocumentError as e:
            raise (NoSuchDocument if isinstance(e, UnknownDocument) else Refused)(str(e)) from None
        return {"removed": removed, "progress": rebuilder.request("删除 " + "、".join(removed))}

    @router.get("/progress", summary="How far the background build has got")
    async def progress() -> dict:
        return rebuilder.progress()

    return router


def _one(documents: Documents, name: str) -> dict:
    from index.texts import current_texts

    try:
        path = documents.resolve(name)
    except DocumentError as e:
        raise NoSuchDocument(str(e)) from None
    info = next(i for i in documents.list() if i.name == documents.name_of(path))
    texts = current_texts(documents.settings)
    text = texts.text(info.source) if texts is not None and info.indexed else None
    return dict(info.to_dict(), text=text)
