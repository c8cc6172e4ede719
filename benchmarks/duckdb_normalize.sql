-- The DuckDB peer: a lab export -> the canonical `labs` table (design.md), in SQL.
--
-- Run by benchmarks/duckdb_peer.py, which fills in @reference@, @input@, @output@, @source_file@
-- and @date_format@ (as SQL string literals) and the column names of the file's shape (@patient@,
-- @collected@, and for a long file @test@, @result@, @units@, @ref_range@, @flag@; as quoted
-- identifiers), and runs the sections in order: `reference`, the reader of the file's layout
-- (`long_reader` or `wide_reader`), `normalize`, `write`, `counts`.
-- The reference tables are loaded from b12core/reference/*.csv at run time, as b12core does.
-- A reader defines `raw_results` (one row per result, cells as text, the collection time parsed
-- with the file's format) and `test_units` (each distinct test name and unit of the file), so
-- that names and units are looked up once per distinct pair, not once per row.

-- @section reference
-- unit_key() of b12core/text.py: no spaces, lower case, micro signs as u, spelled-out prefixes.
CREATE TEMP MACRO unit_key(u) AS
    replace(replace(replace(replace(replace(replace(
        lower(regexp_replace(u, '\s+', '', 'g')), 'µ', 'u'), 'μ', 'u'),
        'micromol', 'umol'), 'mcmol', 'umol'), 'mcg', 'ug'), 'microgram', 'ug');

CREATE TEMP TABLE analytes AS
SELECT analyte, canonical_unit
FROM read_csv(@reference@ || '/analytes.csv', header = true, all_varchar = true);

CREATE TEMP TABLE units AS
SELECT analyte, unit, CAST(factor AS DOUBLE) AS factor
FROM read_csv(@reference@ || '/units.csv', header = true, all_varchar = true);

-- Test name (trimmed, lower case) -> analyte, and the unit a name implies (NHANES variables).
CREATE TEMP TABLE name_map AS
SELECT DISTINCT ON (name_key) lower(trim(alias)) AS name_key, analyte, nullif(unit, '') AS name_unit
FROM read_csv(@reference@ || '/aliases.csv', header = true, all_varchar = true);

-- Unit spelling key -> UCUM unit: every UCUM unit of units.csv, overridden by unit_spellings.csv.
CREATE TEMP TABLE unit_map AS
SELECT DISTINCT ON (key) key, ucum
FROM (
    SELECT unit_key(unit) AS key, unit AS ucum, 0 AS preference FROM units
    UNION ALL
    SELECT unit_key(spelling), unit, 1
    FROM read_csv(@reference@ || '/unit_spellings.csv', header = true, all_varchar = true)
)
ORDER BY key, preference DESC;

-- (analyte named by the test, UCUM unit) -> (analyte stored, factor to its canonical unit). A
-- unit the named analyte lacks may belong to its companion key (reticulocytes in 10*9/L ->
-- reticulocytes_abs), as in b12core/units.py.
CREATE TEMP TABLE conversion AS
SELECT analyte AS named, unit AS ucum, analyte, factor FROM units
UNION ALL
SELECT a.analyte, u.unit, u.analyte, u.factor
FROM analytes AS a
JOIN units AS u ON starts_with(u.analyte, a.analyte || '_')
WHERE NOT EXISTS (SELECT 1 FROM units AS x WHERE x.analyte = a.analyte AND x.unit = u.unit);

-- @section long_reader
-- The file is read once into `raw`, in file order (DuckDB keeps insertion order), so a result's
-- data row is its `rowid` + 1. One row per result; every cell as text, exactly as written. The
-- collection time is parsed here, with the file's format.
CREATE TEMP TABLE raw AS
SELECT * FROM read_csv(@input@, header = true, delim = ',', quote = '"', all_varchar = true);

CREATE TEMP VIEW raw_results AS
SELECT
    rowid + 1 AS source_row,
    @patient@ AS patient_id,
    try_strptime(trim(@collected@), @date_format@) AS collected_at,
    @test@ AS test_name,
    coalesce(@units@, '') AS units,
    @result@ AS result,
    @ref_range@ AS ref_range,
    @flag@ AS flag
FROM raw;

-- Each (test name, unit) the file uses, with the name and unit to look up.
CREATE TEMP TABLE test_units AS
SELECT DISTINCT
    @test@ AS test_name,
    coalesce(@units@, '') AS units,
    @test@ AS lookup_name,
    @units@ AS lookup_unit
FROM raw;

-- @section wide_reader
-- One row per specimen and a column per test, the unit in the header: "Haemoglobin (g/L)".
-- Read once into `raw`, in file order (a specimen's data row is its `rowid` + 1). The test
-- columns are those whose header ends in a unit in parentheses; each is split into name and
-- unit once, here.
CREATE TEMP TABLE raw AS
SELECT * FROM read_csv(@input@, header = true, delim = ',', quote = '"', all_varchar = true);

CREATE TEMP TABLE test_units AS
SELECT
    column_name AS test_name,
    '' AS units,
    regexp_extract(column_name, '^(.*?)\s*\(([^()]*)\)\s*$', 1) AS lookup_name,
    regexp_extract(column_name, '^(.*?)\s*\(([^()]*)\)\s*$', 2) AS lookup_unit
FROM (DESCRIBE raw)
WHERE regexp_matches(column_name, '\(.*\)\s*$');

-- UNPIVOT keeps filled cells only (blank cells read as NULL): one result per filled test cell.
CREATE TEMP VIEW raw_results AS
SELECT
    source_row,
    patient_id,
    collected_at,
    header AS test_name,
    '' AS units,
    result,
    NULL::VARCHAR AS ref_range,
    NULL::VARCHAR AS flag
FROM (
    UNPIVOT (
        SELECT
            rowid + 1 AS source_row,
            @patient@ AS patient_id,
            try_strptime(trim(@collected@), @date_format@) AS collected_at,
            COLUMNS('\(.*\)\s*$')
        FROM raw
    )
    ON COLUMNS('\(.*\)\s*$')
    INTO NAME header VALUE result
);

-- @section normalize
-- Each (test name, unit) of the file resolved once: the analyte the name stands for (trimmed,
-- case-insensitive), the UCUM unit of the spelling (or the unit the name implies), the factor
-- to the canonical unit.
CREATE TEMP TABLE tests AS
SELECT
    t.test_name,
    t.units,
    n.analyte AS named,
    c.analyte,
    c.factor,
    a.canonical_unit,
    coalesce(trim(t.lookup_unit), '') AS reported_unit
FROM test_units AS t
LEFT JOIN name_map AS n ON n.name_key = lower(trim(t.lookup_name))
LEFT JOIN unit_map AS m ON m.key = unit_key(coalesce(nullif(trim(t.lookup_unit), ''), n.name_unit))
LEFT JOIN conversion AS c ON c.named = n.analyte AND c.ucum = m.ucum
LEFT JOIN analytes AS a ON a.analyte = c.analyte;

-- Every result with its status: accepted (a `labs` row), ignored (untracked or unknown test),
-- rejected (tracked, but no number, known unit, date or patient). Values and ranges are parsed
-- for tracked results only (CASE evaluates a branch only on the rows that take it). A view: the
-- `write` section streams the accepted rows straight to Parquet, nothing is materialised.
-- Each distinct result text of a tracked test, parsed once: qualifier and number.
CREATE TEMP TABLE result_values AS
SELECT result, regexp_extract(
    trim(coalesce(result, '')), '^(<=|>=|<|>)?\s*([+-]?(?:\d+\.?\d*|\.\d+))$', ['qualifier', 'number']) AS v
FROM (
    SELECT DISTINCT r.result
    FROM raw_results AS r
    JOIN tests AS t ON t.test_name = r.test_name AND t.units = r.units
    WHERE t.named IS NOT NULL
);

CREATE TEMP VIEW classified AS
WITH parsed AS (
    SELECT
        r.*,
        t.* EXCLUDE (test_name, units),
        rv.v,
        CASE WHEN t.named IS NOT NULL AND r.ref_range IS NOT NULL THEN regexp_extract(
            trim(r.ref_range),
            '^(?:([+-]?\d*\.?\d+)\s*-\s*([+-]?\d*\.?\d+)|<=?\s*(\d*\.?\d+)|>=?\s*(\d*\.?\d+))$',
            ['lo', 'hi', 'lt', 'gt'])
        END AS rr
    FROM raw_results AS r
    LEFT JOIN tests AS t ON t.test_name = r.test_name AND t.units = r.units
    LEFT JOIN result_values AS rv ON t.named IS NOT NULL AND rv.result IS NOT DISTINCT FROM r.result
),
status AS (
    SELECT
        *,
        TRY_CAST(nullif(v.number, '') AS DOUBLE) AS number,
        CASE
            WHEN named IS NULL THEN 'ignored'
            WHEN number IS NULL OR factor IS NULL OR collected_at IS NULL
                 OR coalesce(trim(patient_id), '') = '' THEN 'rejected'
            ELSE 'accepted'
        END AS status
    FROM parsed
)
SELECT
    status,
    trim(patient_id) AS patient_id,
    collected_at,
    analyte,
    number * factor AS value,
    canonical_unit AS unit,
    v.qualifier AS qualifier,
    coalesce(result, '') AS reported_value,
    reported_unit,
    test_name AS reported_name,
    coalesce(flag, '') AS reported_flag,
    '' AS specimen,  -- b12core writes the specimen column too; these exports name none
    TRY_CAST(nullif(coalesce(nullif(rr.lo, ''), rr.gt), '') AS DOUBLE) * factor AS ref_low,
    TRY_CAST(nullif(coalesce(nullif(rr.hi, ''), rr.lt), '') AS DOUBLE) * factor AS ref_high,
    @source_file@ AS source_file,
    source_row
FROM status;

-- @section write
-- Its result is the number of rows written: the accepted count.
COPY (SELECT * EXCLUDE (status) FROM classified WHERE status = 'accepted')
TO @output@ (FORMAT parquet);

-- @section counts
-- Rows read, results, and results of tests we do not track: names are looked up, nothing parsed.
SELECT
    max(r.source_row) AS rows_read,
    count(*) AS results,
    count(*) FILTER (WHERE t.named IS NULL) AS ignored
FROM raw_results AS r
LEFT JOIN tests AS t ON t.test_name = r.test_name AND t.units = r.units;
