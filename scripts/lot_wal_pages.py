# WAL frames per claim commit: the minimal unit's statements on a source tree's SQLite migrations.
# Usage: lot_wal_pages.py before|after [tree]  (before = a tree without the lots `open` flag; tree defaults to this one)
import sqlite3, os, sys, glob, random, uuid, time
SHOP='bench-shop.myshopify.com'; N=10000
which = sys.argv[1]
root = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
import tempfile
path = os.path.join(tempfile.gettempdir(), 'lot-wal-pages-%s.db' % which)
for f in glob.glob(path+'*'): os.remove(f)
c = sqlite3.connect(path, isolation_level=None)
for f in sorted(glob.glob(root+'/migrations/sqlite/*/up.sql')): c.executescript(open(f).read())
cols = 'shop_id, customer_id, id, points, remaining, expires_at, entry_id, order_id, warned, created_at' + (', open' if which == 'after' else '')
c.execute('BEGIN')
for i in range(N):
    cid='c%08d'%i
    c.execute("INSERT INTO customers (shop_id, id, points_balance, created_at, updated_at) VALUES (?,?,?,?,?)", (SHOP,cid,10**9,'2026-01-01 00:00:00','2026-01-01 00:00:00'))
    vals = [SHOP,cid,'migrated-'+cid,10**9,10**9,None,'e',None,0,'2026-01-01 00:00:00'] + ([1] if which=='after' else [])
    c.execute("INSERT INTO lots (%s) VALUES (%s)" % (cols, ','.join('?'*len(vals))), vals)
c.execute('COMMIT')
c.close(); c = sqlite3.connect(path, isolation_level=None)
for p in ['PRAGMA journal_mode = WAL','PRAGMA synchronous = NORMAL','PRAGMA foreign_keys = ON','PRAGMA cache_size = -16384']: c.execute(p).fetchall()
OPEN = 'lots.open' if which == 'after' else 'lots.remaining > 0'
GUARD = 'remaining > ?' if which == 'after' else 'remaining >= ?'
def unit(cust, lots):
    now=time.strftime('%Y-%m-%d %H:%M:%S'); p=100
    assert c.execute("UPDATE customers SET points_balance = points_balance - ?, updated_at = ? WHERE shop_id=? AND id=? AND points_balance >= ?", (p,now,SHOP,cust,p)).rowcount == 1
    bal = c.execute("SELECT points_balance FROM customers WHERE shop_id=? AND id=?", (SHOP,cust)).fetchone()[0]
    claim, entry = str(uuid.uuid1()), str(uuid.uuid1())
    c.execute("INSERT INTO ledger_entries (shop_id,id,customer_id,delta,balance_after,kind,claim_id,order_id,reason,created_at,pending_delta) VALUES (?,?,?,?,?,?,?,NULL,NULL,?,0)", (SHOP,entry,cust,-p,bal,'redeem',claim,now))
    if lots:
        lot = c.execute("SELECT id, remaining, expires_at, created_at, order_id FROM lots WHERE shop_id=? AND customer_id=? AND "+OPEN, (SHOP,cust)).fetchall()[0][0]
        assert c.execute("UPDATE lots SET remaining = remaining - ? WHERE shop_id=? AND customer_id=? AND id=? AND "+GUARD, (p,SHOP,cust,lot,p)).rowcount == 1
        c.execute("INSERT INTO lot_allocations (shop_id, entry_id, lot_id, customer_id, points) VALUES (?,?,?,?,?)", (SHOP,entry,lot,cust,p))
    c.execute("INSERT INTO claims (shop_id,id,customer_id,channel,code,points,value_minor,currency,purchase_type,status,program_version,program_snapshot,created_at,updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      (SHOP,claim,cust,'online','MIN'+claim.replace('-',''),p,100,'USD','one_time','active',1,'{"points_per_unit":"100","min_points":100,"max_points":100000,"enabled":true}',now,now))
    c.execute("INSERT INTO outbox (shop_id,id,claim_id,action,status,attempts,next_attempt_at,created_at,updated_at) VALUES (?,?,?,?,?,?,?,?,?)", (SHOP,str(uuid.uuid1()),claim,'create','done',1,now,now,now))
    c.execute("INSERT INTO idempotency_keys (shop_id,principal,key,request_hash,status_code,response_body,created_at) VALUES (?,?,?,?,?,?,?)", (SHOP,'customer:'+cust,claim,'minimal',201,'{}',now))
def frames(lots, n):
    c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall(); c.execute('PRAGMA wal_autocheckpoint = 0').fetchall()
    for i in range(n):
        c.execute('BEGIN IMMEDIATE'); unit('c%08d' % random.randrange(N), lots); c.execute('COMMIT')
    return (os.path.getsize(path+'-wal') - 32) / (4096+24) / n
random.seed(7); frames(True, 2000)
w, wo = frames(True, 3000), frames(False, 3000)
print('%s: WAL pages per claim commit with lots %.2f, without %.2f, lots add %+.1f %%' % (which, w, wo, 100*(w/wo-1)))
