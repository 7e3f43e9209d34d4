-- Issue 29.4 (XM Art. 29, CS Art. 36): a version bound from a preset runs within its document's term unless it
-- was explicitly extended beyond it. Versions bound before this change that already reach past their preset's
-- term keep applying: they are marked as extended (the terms as in domain::policy::term at the time of writing).
ALTER TABLE policy_versions ADD COLUMN extends_beyond_term BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE policy_versions SET extends_beyond_term = TRUE
WHERE (preset = 'changsha-2020' AND (valid_to IS NULL OR valid_to > '2025-04-30'))
   OR (preset = 'xiamen-2025' AND (valid_to IS NULL OR valid_to > '2030-02-25'));
