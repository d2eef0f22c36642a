# Firestore: the (default) database, the composite indexes the queries in
# shared/adapters/firestore-tasks.ts need, and the TTL policy that deletes finished tasks.

resource "google_firestore_database" "default" {
  name                    = "(default)"
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  concurrency_mode        = "OPTIMISTIC"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.apis]
}

locals {
  # Composite indexes on the tasks collection, each with the query it serves. Equality-only
  # filters could be merged from single-field indexes; those we query on every call get their own.
  firestore_indexes = {
    # list(): a user's tasks, newest first, cursor on (createdAt, taskId)
    user_created = [["userHash", "ASCENDING"], ["createdAt", "DESCENDING"], ["taskId", "DESCENDING"]]
    # list({status}): a user's tasks in one status
    user_status_created = [["userHash", "ASCENDING"], ["status", "ASCENDING"], ["createdAt", "DESCENDING"], ["taskId", "DESCENDING"]]
    # list({batchId}): one batch's tasks (getBatch)
    user_batch_created = [["userHash", "ASCENDING"], ["batchId", "ASCENDING"], ["createdAt", "DESCENDING"], ["taskId", "DESCENDING"]]
    # GET /batches/{id}?status=: one batch's tasks in one status; also serves batchCounts()' counts
    user_batch_status_created = [["userHash", "ASCENDING"], ["batchId", "ASCENDING"], ["status", "ASCENDING"], ["createdAt", "DESCENDING"], ["taskId", "DESCENDING"]]
    # batchIds(): a user's batches, one skip-scan step per batch (GET /batches)
    user_batch = [["userHash", "ASCENDING"], ["batchId", "ASCENDING"]]
    # batchCounts(): sum(progress) of a batch's PROCESSING tasks (sum and average read the field from the index)
    user_batch_status_progress = [["userHash", "ASCENDING"], ["batchId", "ASCENDING"], ["status", "ASCENDING"], ["progress", "ASCENDING"]]
    # the console's event stream (GET /events): a user's most recently changed tasks
    user_updated = [["userHash", "ASCENDING"], ["updatedAt", "DESCENDING"]]
    # stats(): oldest QUEUED task, all users / one user
    status_created          = [["status", "ASCENDING"], ["createdAt", "ASCENDING"]]
    user_status_created_asc = [["userHash", "ASCENDING"], ["status", "ASCENDING"], ["createdAt", "ASCENDING"]]
    # stats(): COMPLETED since the start of the day, all users / one user
    status_completed      = [["status", "ASCENDING"], ["completedAt", "ASCENDING"]]
    user_status_completed = [["userHash", "ASCENDING"], ["status", "ASCENDING"], ["completedAt", "ASCENDING"]]
    # stats(): average wait of the tasks started today, one user / all users (waitMs: the averaged field)
    user_started = [["userHash", "ASCENDING"], ["startedAt", "ASCENDING"], ["waitMs", "ASCENDING"]]
    started_wait = [["startedAt", "ASCENDING"], ["waitMs", "ASCENDING"]]
    # failedTaskIds(): FAILED tasks by error code, all users / one user (requeue-failed)
    status_error_code      = [["status", "ASCENDING"], ["error.code", "ASCENDING"]]
    user_status_error_code = [["userHash", "ASCENDING"], ["status", "ASCENDING"], ["error.code", "ASCENDING"]]
    # Admission (adapters/firestore-admission.ts): a user's oldest held tasks by requested priority; their published ones
    user_held_requested_created = [["userHash", "ASCENDING"], ["status", "ASCENDING"], ["admittedAt", "ASCENDING"], ["requestedPriority", "ASCENDING"], ["createdAt", "ASCENDING"]]
    user_status_admitted        = [["userHash", "ASCENDING"], ["status", "ASCENDING"], ["admittedAt", "ASCENDING"]]
    # release-queued: users with held tasks, oldest first; admitted tasks never taken up
    status_admitted_created = [["status", "ASCENDING"], ["admittedAt", "ASCENDING"], ["createdAt", "ASCENDING"]]
    status_admitted         = [["status", "ASCENDING"], ["admittedAt", "ASCENDING"]]
    # release-queued: admitted tasks never published (their admitter died before the publish)
    status_dispatched_admitted = [["status", "ASCENDING"], ["dispatchedAt", "ASCENDING"], ["admittedAt", "ASCENDING"]]
    # admission (work-conserving cap): does another user have a held task?
    status_admitted_user = [["status", "ASCENDING"], ["admittedAt", "ASCENDING"], ["userHash", "ASCENDING"]]
    # operators' lane counts: QUEUED by source, held or admitted
    status_source_admitted = [["status", "ASCENDING"], ["source", "ASCENDING"], ["admittedAt", "ASCENDING"]]
  }
}

resource "google_firestore_index" "tasks" {
  for_each    = local.firestore_indexes
  database    = google_firestore_database.default.name
  collection  = local.tasks_collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}

# A finished task carries expireAt (completedAt + TASK_RETENTION_DAYS); Firestore deletes it after
# that time, and the content index's entries (shared/core/result-reuse.ts) with it: an entry
# expires with the task whose results it points at (cleanup forgets it earlier when it deletes
# them). The field is not indexed: a TTL field indexed on a steadily rising timestamp is a write
# hotspot, and no query filters on it.
resource "google_firestore_field" "expire_at_ttl" {
  for_each = { tasks = local.tasks_collection, content_index = local.content_index_collection }

  database   = google_firestore_database.default.name
  collection = each.value
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

moved {
  from = google_firestore_field.tasks_ttl
  to   = google_firestore_field.expire_at_ttl["tasks"]
}
