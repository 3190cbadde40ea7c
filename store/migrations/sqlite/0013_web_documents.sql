-- 0013: the web view's documents page reads the items that are ITU
-- documents, newest first, and then only those stored or revised since its
-- last read; without this index each read scans every item.
CREATE INDEX items_documents_seen ON items (last_seen, id) WHERE document IS NOT NULL;
