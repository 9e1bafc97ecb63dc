-- The PDV replicates the central catalog column for column (same names, types and foreign keys between
-- catalog tables), so both sides share one definition.
:r ../central/0001_sample_catalog.sql
