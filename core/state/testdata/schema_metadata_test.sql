-- Written from reference-wodle.md §2.10 (Python test fixture of the same name).
CREATE TABLE 'metadata' (key 'text' NOT NULL, value 'text' NOT NULL, PRIMARY KEY (key, value));
INSERT INTO 'metadata' (key, value) VALUES ('version', '0.0.0');
