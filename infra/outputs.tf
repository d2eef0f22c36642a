output "upload_url" {
  description = "The upload function (POST multipart, or a signed URL request)."
  value       = google_cloudfunctions2_function.http["upload"].url # an accepted token audience (AUTH_AUDIENCE)
}

output "api_url" {
  description = "The api function (/tasks, /batches, /queue/stats, /cache/info, /health)."
  value       = google_cloudfunctions2_function.http["api"].url # an accepted token audience (AUTH_AUDIENCE)
}

output "dispatch_url" {
  description = "The dispatch function (called by Eventarc only)."
  value       = google_cloudfunctions2_function.dispatch.service_config[0].uri
}

output "ocr_worker_urls" {
  description = "The OCR worker service of each priority (called by the Pub/Sub push subscriptions only)."
  value       = { for p, s in google_cloud_run_v2_service.ocr_worker : p => s.uri }
}

output "buckets" {
  description = "Bucket names: uploads, results, models."
  value       = { for key, bucket in google_storage_bucket.store : key => bucket.name }
}

output "service_accounts" {
  description = "The service account of each function."
  value       = { for k, sa in google_service_account.fn : k => sa.email }
}
