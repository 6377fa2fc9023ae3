"""The external-task API's bodies, in Camunda 7's camelCase names."""

from marshmallow import Schema, fields, validate

INT32 = 2**31 - 1
_worker = fields.String(required=True, data_key="workerId", validate=validate.Length(min=1, max=200))
_ms = validate.Range(min=0, max=INT32)


class ExternalTopicIn(Schema):
    topic_name = fields.String(required=True, data_key="topicName", validate=validate.Length(min=1, max=200))
    lock_duration = fields.Integer(required=True, data_key="lockDuration", validate=validate.Range(min=1, max=INT32),
                                   metadata={"description": "milliseconds"})
    variables = fields.List(fields.String(validate=validate.Length(max=200)), load_default=None,
                            validate=validate.Length(max=200),
                            metadata={"description": "the variables to fetch; all when absent"})


class ExternalFetchAndLockIn(Schema):
    worker_id = _worker
    max_tasks = fields.Integer(load_default=1, data_key="maxTasks", validate=validate.Range(min=1, max=100))
    async_response_timeout = fields.Integer(load_default=None, data_key="asyncResponseTimeout", validate=_ms,
                                            metadata={"description": "milliseconds to wait for a task (long "
                                                      "polling), cut to the server's bound"})
    topics = fields.List(fields.Nested(ExternalTopicIn), required=True, validate=validate.Length(min=1, max=50))


_variables = fields.Dict(keys=fields.String(validate=validate.Length(max=200)), load_default=None,
                         metadata={"description": "{name: {\"value\": ...}}, as Camunda sends them"})


class ExternalCompleteIn(Schema):
    worker_id = _worker
    variables = _variables


class ExternalFailureIn(Schema):
    worker_id = fields.String(required=True, data_key="workerId", validate=validate.Length(min=1, max=200))
    error_message = fields.String(load_default="", data_key="errorMessage", validate=validate.Length(max=4000))
    error_details = fields.String(load_default=None, data_key="errorDetails", validate=validate.Length(max=20000))
    retries = fields.Integer(load_default=0, validate=validate.Range(min=0, max=INT32))
    retry_timeout = fields.Integer(load_default=0, data_key="retryTimeout", validate=_ms)


class ExternalBpmnErrorIn(Schema):
    worker_id = fields.String(required=True, data_key="workerId", validate=validate.Length(min=1, max=200))
    error_code = fields.String(required=True, data_key="errorCode", validate=validate.Length(min=1, max=200))
    error_message = fields.String(load_default="", data_key="errorMessage", validate=validate.Length(max=4000))
    variables = fields.Dict(keys=fields.String(validate=validate.Length(max=200)), load_default=None)


class ExternalExtendLockIn(Schema):
    worker_id = fields.String(required=True, data_key="workerId", validate=validate.Length(min=1, max=200))
    new_duration = fields.Integer(required=True, data_key="newDuration", validate=validate.Range(min=1, max=INT32))


class ExternalLockedTaskOut(Schema):
    id = fields.String()
    topic_name = fields.String(data_key="topicName")
    worker_id = fields.String(data_key="workerId")
    lock_expiration_time = fields.DateTime(data_key="lockExpirationTime")
    retries = fields.Integer(allow_none=True)
    error_message = fields.String(allow_none=True, data_key="errorMessage")
    process_instance_id = fields.String(data_key="processInstanceId")
    process_definition_key = fields.String(data_key="processDefinitionKey")
    activity_id = fields.String(data_key="activityId")
    variables = fields.Dict()


class HandlerOut(Schema):
    """A handler some running process (or the answering one) has loaded."""

    name = fields.String()
    origin = fields.String(allow_none=True, metadata={"description": "the distribution and entry point, or built-in"})
    inline = fields.Boolean(metadata={"description": "pure and fast: runs in the change that reaches it"})
    processes = fields.List(fields.String(), metadata={"description": "running processes that loaded it"})
    missing_in = fields.List(fields.String(), metadata={"description": "running workers that lack it"})
