# Topics and subscriptions, named as in shared/names.ts. Locally emulators/provision.ts creates the
# same ones with the same policies (ack deadline 600 s, exponential retry, dead letter).

resource "google_pubsub_topic" "priority" {
  for_each = local.priority_topics
  name     = each.value

  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  name                       = local.dead_letter_topic
  message_retention_duration = "604800s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_topic" "events" {
  name       = local.events_topic
  depends_on = [google_project_service.apis]
}

# One push subscription per priority topic, each feeding its own OCR worker service. The push path
# /projects/{project}/topics/{topic} is where the functions framework turns a Pub/Sub push into a
# CloudEvent (the same path the local suite uses).
resource "google_pubsub_subscription" "worker" {
  for_each = local.priority_topics
  name     = local.worker_subscriptions[each.key]
  topic    = google_pubsub_topic.priority[each.key].id

  # A delivery may take as long as one document's OCR (pages are bounded by PAGE_TIMEOUT_MS).
  ack_deadline_seconds       = 600
  message_retention_duration = "86400s"
  expiration_policy {
    ttl = "" # never expires
  }

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.ocr_worker[each.key].uri}/projects/${var.project_id}/topics/${each.value}"
    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = google_cloud_run_v2_service.ocr_worker[each.key].uri
    }
  }

  retry_policy {
    minimum_backoff = var.retry_minimum_backoff
    maximum_backoff = var.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }
}

# Dead letters are kept here for an operator, whom monitoring.tf alerts while any are here. The
# worker and recover-stale fail a task before they dead-letter its message.
resource "google_pubsub_subscription" "dead_letter_sink" {
  name                       = local.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub's service agent forwards undeliverable messages: it must publish to the dead-letter
# topic and acknowledge on the source subscriptions.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = google_pubsub_subscription.worker
  subscription = each.value.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# ── Callbacks: ocr-events → the callbacks function, one attempt per delivery ──────────────────
# The function records each attempt on the task and gives up after CALLBACK_MAX_ATTEMPTS (5,
# shared/core/callback-delivery.ts) onto its dead-letter topic; the policy below is a backstop
# for a function that keeps crashing.
resource "google_pubsub_topic" "callback_dead_letter" {
  name                       = local.callback_dead_letter_topic
  message_retention_duration = "604800s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_subscription" "callbacks" {
  name  = local.callback_subscription
  topic = google_pubsub_topic.events.id

  # One POST of at most 5 s per delivery.
  ack_deadline_seconds       = 30
  message_retention_duration = "86400s"
  expiration_policy {
    ttl = ""
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.callbacks.service_config[0].uri}/projects/${var.project_id}/topics/${local.events_topic}"
    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = google_cloudfunctions2_function.callbacks.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "1s"
    maximum_backoff = "60s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.callback_dead_letter.id
    max_delivery_attempts = 7
  }
}

resource "google_pubsub_subscription" "callback_dead_letter_sink" {
  name                       = local.callback_dead_letter_subscription
  topic                      = google_pubsub_topic.callback_dead_letter.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "callback_dead_letter_agent" {
  topic  = google_pubsub_topic.callback_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "callback_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.callbacks.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
