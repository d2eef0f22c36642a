# Someone hears of dead letters. ocr-dead-letter-sink (pubsub.tf) keeps every message the OCR
# worker, or the api's recover-stale, gave up on, and Pub/Sub's own forwards after
# max_delivery_attempts; nothing consumes it. This alert is open while it holds any, and its
# documentation is what the operator does about them.

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "DocVault: OCR tasks in the dead-letter queue"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "${google_pubsub_subscription.dead_letter_sink.name} holds undelivered messages"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.dead_letter_sink.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      ## Dead-lettered OCR tasks

      `${google_pubsub_subscription.dead_letter_sink.name}` holds messages of OCR tasks that will not be retried by themselves.

      **Their tasks are already FAILED, each with its reason** (`error.code`, `error.message`): the worker, or the scheduled recover-stale, fails a task that is out of attempts before it publishes the dead letter. Nothing is lost and nothing is retrying. The user sees the failure on `GET /tasks/{id}`.

      From a checkout of the repository, with the environment of the functions:

      ```
      export GOOGLE_CLOUD_PROJECT=${var.project_id} UPLOADS_BUCKET=${google_storage_bucket.store["uploads"].name} RESULTS_BUCKET=${google_storage_bucket.store["results"].name}
      export USER_HASH_SECRET=$(gcloud secrets versions access latest --secret=${var.user_hash_secret_id} --project=${var.project_id})
      ```

      1. **Inspect**: `npx docvault queue stats` (failed, pending, processing, oldest queued). The dead letters themselves, left in place: `gcloud pubsub subscriptions pull ${google_pubsub_subscription.dead_letter_sink.name} --project=${var.project_id} --limit=20` (attributes taskId, errorCode, reason; a message without errorCode was forwarded by Pub/Sub after ${var.max_delivery_attempts} failed deliveries: its worker crashed or timed out each time, and recover-stale fails its task once the lease has expired and no attempt is left). The workers' logs: "task failed after its last attempt".
      2. **Fix the cause** (a model missing from the models bucket, workers short of memory or time, …).
      3. **Requeue**: `npx docvault queue requeue-failed --code C`, C being the errorCode of the dead letters (e.g. ENGINE_FAILURE, PAGE_TIMEOUT); `--user EMAIL` and `--limit N` narrow it down. Each task gets fresh attempts and is published to its priority topic again.
      4. **Close the alert**: acknowledge what was handled, `gcloud pubsub subscriptions seek ${google_pubsub_subscription.dead_letter_sink.name} --project=${var.project_id} --time=$(date -u +%Y-%m-%dT%H:%M:%SZ)`. Left alone, the messages expire after 7 days.
    EOT
  }

  depends_on = [google_project_service.apis]
}
