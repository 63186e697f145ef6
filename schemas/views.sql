-- DuckDB views over a storymatch output folder: one view per table, every run date.
--
-- `storymatch query` creates these views for you. To use them from the DuckDB command-line
-- client (or any DuckDB client), put your output folder in place of ${output}:
--
--     sed 's#${output}#/path/to/out#g' schemas/views.sql | duckdb            # check they load
--     sed 's#${output}#/path/to/out#g' schemas/views.sql > /tmp/views.sql
--     duckdb -init /tmp/views.sql                                            # then query away
--
-- Each table view adds a `run_date` column (DATE) from the partition folders
-- `<table>/run_date=YYYY-MM-DD/`, so `WHERE run_date = DATE '2025-08-19'` reads one day
-- only. It is taken from the file's own folder, not by DuckDB's Hive partitioning, which reads
-- every `key=value` folder of the path: an output below `/data/run_date=2025-01-01/` or
-- `/data/outlet=x/` would have that value in every row. The columns are documented in
-- schemas/tables.py. A table with no files yet makes
-- its view fail to load here ("No files found"); `storymatch query` gives it an empty view
-- with the right columns instead.
--
-- Format of this file (pipeline/query.py reads it): statements end with `;` at the end of
-- a line, and the comment lines just above a CREATE describe that view.

-- Times are stored in UTC: show them in UTC.
SET TimeZone = 'UTC';

-- One row per valid input article, with its story (cluster_id).
CREATE OR REPLACE VIEW articles AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/articles/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- One row per story and run date (size, outlets, times count that run's articles).
CREATE OR REPLACE VIEW clusters AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/clusters/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- One row per story and run date: the article chosen to represent it, with its cleaned text.
CREATE OR REPLACE VIEW representatives AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/representatives/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- One row per sentence that no other outlet's article in the story has.
CREATE OR REPLACE VIEW unique_sentences AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/unique_sentences/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- One row per sentence and other outlet's article: its best match there.
CREATE OR REPLACE VIEW sentence_alignments AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/sentence_alignments/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- One row per scored pair (found_by: lsh, a candidate; component, a verified pair of one linked
-- group; exact_duplicate, a copy and its canonical article), verified or rejected with the reason.
CREATE OR REPLACE VIEW pairs AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/pairs/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- One row per input record that could not be used, with the reason.
CREATE OR REPLACE VIEW rejects AS SELECT * EXCLUDE (filename), CAST(regexp_extract(filename, 'run_date=([^/\\]*)[/\\][^/\\]*$', 1) AS DATE) AS run_date FROM read_parquet('${output}/rejects/*/*.parquet', hive_partitioning = false, filename = true, union_by_name = true);

-- outlet_key(name): an outlet's name as the pipeline compares it (pipeline.text.same_outlet_key):
-- names that differ only in case or spacing are one outlet ("Reuters", "reuters", "The  Guardian").
-- Any Unicode space (a no-break space too) separates words, as Python's str.split does.
CREATE OR REPLACE MACRO outlet_key(name) AS lower(trim(regexp_replace(name, '[\s\p{Z}\x0b\x1c-\x1f\x85]+', ' ', 'g')));

-- One row per story and outlet, over all run dates (an article sent on several days counts
-- once, as its latest run saw it): articles, title (of its first article),
-- first_published_at, publish_order (1 = the outlet that published the story first; unknown times last),
-- behind_first (its delay after the story's first publication), story_outlets (outlets in
-- the story, as clusters.num_outlets counts them: an article without an outlet is an outlet
-- of its own, with a row whose outlet is null and whose article_id names it; article_id is
-- null for a named outlet), sentences, unique_sentences, and
-- compared_sentences (sentences of its articles that had another outlet's article to be
-- compared with, in the same run or, in a story continued from earlier runs, among those
-- runs' articles: the fair denominator for unique_sentences).
CREATE OR REPLACE VIEW story_outlets AS
WITH unique_counts AS (
    SELECT article_id, run_date, count(*) AS unique_sentences
    FROM unique_sentences
    GROUP BY article_id, run_date
),
-- An article sent again on a later day has a row in each run that read it: count its latest.
latest_articles AS (
    SELECT * FROM articles
    QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY run_date DESC) = 1
),
-- A run's only outlet in a continued story was compared with the earlier runs' articles of
-- other outlets: its sentences have alignment rows (one per sentence that shares a term).
compared_with_earlier AS (
    SELECT DISTINCT s.article_id, s.run_date
    FROM sentence_alignments AS s
    JOIN clusters AS c USING (cluster_id, run_date)
    WHERE c.num_outlets = 1
),
per_outlet AS (
    SELECT
        a.cluster_id,
        -- Names that differ only in case or spacing are one outlet (as in the pipeline),
        -- shown as its first article's spelling.
        first(a.outlet ORDER BY a.article_id) AS outlet,
        -- An article without an outlet is an outlet of its own (as clusters.num_outlets and
        -- outlet_coverage count it), not one with every other such article of the story.
        CASE WHEN a.outlet IS NULL THEN a.article_id END AS article_id,
        count(*) AS articles,
        min(a.published_at) AS first_published_at,
        first(a.title ORDER BY a.published_at NULLS LAST, a.article_id) AS title,
        sum(a.num_sentences)::BIGINT AS sentences,
        sum(coalesce(u.unique_sentences, 0))::BIGINT AS unique_sentences,
        coalesce(sum(a.num_sentences) FILTER (WHERE c.num_outlets > 1 OR e.article_id IS NOT NULL), 0)::BIGINT
            AS compared_sentences
    FROM latest_articles AS a
    JOIN clusters AS c USING (cluster_id, run_date)
    LEFT JOIN unique_counts AS u USING (article_id, run_date)
    LEFT JOIN compared_with_earlier AS e USING (article_id, run_date)
    GROUP BY a.cluster_id, outlet_key(a.outlet), CASE WHEN a.outlet IS NULL THEN a.article_id END
)
SELECT
    cluster_id,
    outlet,
    article_id,
    articles,
    title,
    first_published_at,
    row_number() OVER (
        PARTITION BY cluster_id ORDER BY first_published_at NULLS LAST, outlet NULLS LAST, article_id
    ) AS publish_order,
    first_published_at - min(first_published_at) OVER (PARTITION BY cluster_id) AS behind_first,
    count(*) OVER (PARTITION BY cluster_id) AS story_outlets,
    sentences,
    unique_sentences,
    compared_sentences
FROM per_outlet;
