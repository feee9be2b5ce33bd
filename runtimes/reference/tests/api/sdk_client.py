"""Drives an fgref through Huawei Cloud's official Python SDK, unchanged.

Run by the `sdk` test of fgref's `api` test binary, which reads the one JSON line this prints.
Environment: FGREF_URL (http://127.0.0.1:PORT), FGREF_PROJECT, FGREF_AK, FGREF_SK.
"""

import base64
import datetime
import importlib.metadata
import io
import json
import os
import time
import zipfile

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkfunctiongraph.v2 import (
    AsyncInvokeFunctionRequest,
    CreateFunctionRequest,
    CreateFunctionRequestBody,
    DeleteFunctionRequest,
    FuncCode,
    FunctionGraphClient,
    InvokeFunctionRequest,
    ListAsyncInvocationsRequest,
)

# How long the asynchronous call may take to end before the client stops polling its record.
ASYNC_WITHIN_SECONDS = 30

HANDLER = """
exports.handler = async (event, context) => {
  console.log('hello from the SDK test');
  return { greeting: 'hello ' + event.name };
};
"""


def package():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.js", HANDLER)
    return base64.b64encode(buffer.getvalue()).decode()


def invoke(client, urn):
    return client.invoke_function(
        InvokeFunctionRequest(
            function_urn=urn,
            x_cff_log_type="tail",
            x_cff_request_version="v1",
            body={"name": "sdk"},
        )
    )


def sdk_datetime(value):
    """`value` as the SDK makes a datetime field of it, in ISO form.

    The SDK parses such a field with python-dateutil, `parse(text + "Z")`, and hands the text
    through unparsed (with a warning) when dateutil is not installed, as in the pinned set; the
    same construction is parsed here with the standard library, raising when it fails.
    """
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return datetime.datetime.fromisoformat(value if value.endswith("Z") else value + "Z").isoformat()


def invoke_async(client, urn):
    """An asynchronous call, and its record once it ended (or as it stood when polling gave up)."""
    accepted = client.async_invoke_function(
        AsyncInvokeFunctionRequest(function_urn=urn, body={"name": "async sdk"})
    )
    seen = {"http_status": accepted.status_code, "request_id": accepted.request_id}
    deadline = time.monotonic() + ASYNC_WITHIN_SECONDS
    while True:
        listed = client.list_async_invocations(
            ListAsyncInvocationsRequest(function_urn=urn, request_id=accepted.request_id)
        )
        records = listed.invocations or []
        ended = bool(records) and records[0].status in ("SUCCESS", "FAIL")
        if ended or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    seen["listed"] = {
        "http_status": listed.status_code,
        "count": listed.count,
        "next_marker": listed.next_marker,
        "records": [
            {
                "request_id": r.request_id,
                "status": r.status,
                "error_code": r.error_code,
                "error_message": r.error_message,
                "start_time": sdk_datetime(r.start_time),
                # A string in the SDK's model, in the same form as start_time.
                "end_time": sdk_datetime(r.end_time),
            }
            for r in records
        ],
    }
    return seen


def main():
    credentials = BasicCredentials(os.environ["FGREF_AK"], os.environ["FGREF_SK"], os.environ["FGREF_PROJECT"])
    client = (
        FunctionGraphClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([os.environ["FGREF_URL"]])
        .build()
    )
    seen = {"sdk_version": importlib.metadata.version("huaweicloudsdkfunctiongraph")}

    created = client.create_function(
        CreateFunctionRequest(
            body=CreateFunctionRequestBody(
                func_name="sdk-hello",
                package="default",
                runtime="Node.js20.15",
                handler="index.handler",
                memory_size=128,
                timeout=30,
                code_type="zip",
                func_code=FuncCode(file=package()),
                description="created by the official SDK",
            )
        )
    )
    seen["created"] = {
        "func_urn": created.func_urn,
        "func_name": created.func_name,
        "runtime": created.runtime,
        "memory_size": created.memory_size,
    }
    urn = created.func_urn

    invoked = invoke(client, urn)
    seen["invoked"] = {
        "http_status": invoked.status_code,
        "request_id": invoked.request_id,
        "x_cff_request_id": invoked.x_cff_request_id,
        "result": invoked.result,
        "status": invoked.status,
        "log": invoked.log,
    }

    seen["async"] = invoke_async(client, urn)

    # The latest version may not be deleted; the whole function goes by its URN without one.
    try:
        client.delete_function(DeleteFunctionRequest(function_urn=urn))
        seen["latest_deleted"] = {"http_status": 204}
    except exceptions.ClientRequestException as e:
        seen["latest_deleted"] = {"http_status": e.status_code, "error_code": e.error_code}
    function_urn = urn.rsplit(":", 1)[0] if urn.endswith(":latest") else urn
    deleted = client.delete_function(DeleteFunctionRequest(function_urn=function_urn))
    seen["deleted"] = {"http_status": deleted.status_code}

    try:
        invoke(client, urn)
        seen["after_delete"] = {"raised": None}
    except exceptions.ClientRequestException as e:
        seen["after_delete"] = {
            "raised": type(e).__name__,
            "status_code": e.status_code,
            "error_code": e.error_code,
            "error_msg": e.error_msg,
        }

    print(json.dumps(seen))


if __name__ == "__main__":
    main()
