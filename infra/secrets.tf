# The secrets the functions read (shared/config.ts): USER_HASH_SECRET, the HMAC key that turns
# an e-mail into the user hash of every path and task, WEBHOOK_SECRET, which signs callbacks, and
# PASSWORD_KEY, which seals a PDF's password in its task (core/sealed-password.ts).
# They are created with gcloud before the first apply (README, "Deploy"), so their values never
# enter the Terraform state; here they are only looked up and shared with who reads them.

data "google_secret_manager_secret" "user_hash" {
  secret_id  = var.user_hash_secret_id
  depends_on = [google_project_service.apis]
}

data "google_secret_manager_secret" "webhook" {
  secret_id  = var.webhook_secret_id
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_iam_member" "user_hash" {
  for_each  = toset(["upload", "dispatch", "ocr-worker", "api", "callbacks"]) # config.ts requires it at every cold start
  secret_id = data.google_secret_manager_secret.user_hash.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.key].member
}

# Whoever fails a task signs its callback: the worker, the api (recover-stale) and dispatch (over-limit objects).
resource "google_secret_manager_secret_iam_member" "webhook" {
  for_each  = toset(["ocr-worker", "api", "dispatch", "callbacks"])
  secret_id = data.google_secret_manager_secret.webhook.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.key].member
}

# It was one grant, the worker's, before; its state moves to that instance.
moved {
  from = google_secret_manager_secret_iam_member.webhook
  to   = google_secret_manager_secret_iam_member.webhook["ocr-worker"]
}

data "google_secret_manager_secret" "password_key" {
  secret_id  = var.password_key_secret_id
  depends_on = [google_project_service.apis]
}

# upload and the api seal passwords, the worker opens them.
resource "google_secret_manager_secret_iam_member" "password_key" {
  for_each  = toset(["upload", "api", "ocr-worker"])
  secret_id = data.google_secret_manager_secret.password_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.key].member
}
