-- A follow-up run continues a finished run's conversation with a new message from the user.
-- The link is an id, not a foreign key: retention may remove the parent before its
-- follow-ups, and the link then finds nothing.
ALTER TABLE runs ADD COLUMN follow_up_of TEXT;
ALTER TABLE runs ADD COLUMN follow_up_message TEXT
    CHECK ((follow_up_of IS NULL) = (follow_up_message IS NULL));
CREATE INDEX runs_by_follow_up_of ON runs (follow_up_of) WHERE follow_up_of IS NOT NULL;
