"""What coordinators and leaders read: the four-way status, period reports (from the audit's
projection) and their files, audit queries and the daily digests."""
