-- Two more institution policies. allow_query_token (SPEC 11): false refuses a token in `?token=` before any
-- lookup; every institution keeps today's behaviour (allowed). suspend_unused_after_days (SPEC 12): the
-- sweep suspends an active token unused for that long (30 to 730 days), or never when null (the default).
ALTER TABLE institutions ADD COLUMN allow_query_token boolean NOT NULL DEFAULT true;
ALTER TABLE institutions ADD COLUMN suspend_unused_after_days integer
  CHECK (suspend_unused_after_days BETWEEN 30 AND 730);
