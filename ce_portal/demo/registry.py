"""Demo data, first stages: the registry (units, people, employments) of a believable small Pingdingshan
(`demo`) or of the whole city at scale (`city`), the demo log-ins and the platforms' approved years.

Everything is generated from fixed seeds, so every run plans the same rows. The registry is written in
batches; a batch whose first unit is already there is skipped, and log-ins are only created when missing,
so `seed_demo` can run again without changing anything.
"""
import datetime as dt
import random
from bisect import bisect
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from psycopg import sql

from ce_portal.crypto import EncryptedTextField, encrypt, lookup_digest
from ce_portal.demo.fakes import fake_credit_code, fake_id_number
from platforms.reference import CITY, NOTICE_YEAR
from platforms.registry.models import LearningPlatform
from records.people.models import Employment, IndustryAuthority, Professional, Region, Role, RoleMembership, Unit

DEMO_PASSWORD = "demo2026"


BULK_BATCH_SIZE = 5_000


CITY_NAME = CITY[1]


DEMO_COUNTY = "新华区"


@dataclass(frozen=True)
class Batch:
    """A slice of the registry: `units` units from credit-code index `unit_start`, and `professionals`
    people from ID index `person_start`. Indices stay below the ranges tests/factories.py uses."""

    unit_start: int
    units: int
    person_start: int
    professionals: int

    @property
    def unit_indices(self) -> range:
        return range(self.unit_start, self.unit_start + self.units)


DEMO_BATCH = Batch(unit_start=0, units=36, person_start=0, professionals=300)


# The city is the demo plus the rest of Pingdingshan, so the demo log-ins exist at either size.
CITY_BATCH = Batch(unit_start=36, units=3_000 - 36, person_start=300, professionals=200_000 - 300)


SIZES: dict[str, tuple[Batch, ...]] = {"demo": (DEMO_BATCH,), "city": (DEMO_BATCH, CITY_BATCH)}


# Relative number of units per county: the urban districts and 汝州 are bigger than 石龙区.
COUNTY_WEIGHTS = {
    "新华区": 1.6, "卫东区": 1.3, "石龙区": 0.5, "湛河区": 1.3, "宝丰县": 0.9, "叶县": 1.0, "鲁山县": 1.0,
    "郏县": 0.8, "舞钢市": 0.8, "汝州市": 1.4, "高新区": 0.8, "城乡一体化示范区": 0.6,
}


# The two development zones have no bureaus of their own: their institutions answer to the city's.
ZONES_WITHOUT_BUREAUS = {"高新区", "城乡一体化示范区"}


# Districts where the city runs many of the hospitals and schools itself.
URBAN = {"新华区", "卫东区", "湛河区", "石龙区"}


TOWNS = {
    "新华区": ["焦店镇", "西市场街道", "中兴路街道", "光明路街道"],
    "卫东区": ["东高皇街道", "蒲城街道", "建设路街道", "东工人镇街道"],
    "石龙区": ["高庄街道", "龙河街道", "人民路街道"],
    "湛河区": ["曹镇乡", "北渡街道", "荆山街道", "马庄街道"],
    "宝丰县": ["杨庄镇", "大营镇", "周庄镇", "闹店镇", "李庄乡"],
    "叶县": ["昆阳街道", "任店镇", "仙台镇", "廉村镇", "龙泉乡"],
    "鲁山县": ["鲁阳街道", "张官营镇", "下汤镇", "尧山镇", "赵村镇"],
    "郏县": ["龙山街道", "冢头镇", "堂街镇", "薛店镇", "安良镇"],
    "舞钢市": ["垭口街道", "尚店镇", "八台镇", "尹集镇", "枣林镇"],
    "汝州市": ["煤山街道", "临汝镇", "寄料镇", "温泉镇", "小屯镇", "蟒川镇"],
    "高新区": ["遵化店镇", "皇台街道"],
    "城乡一体化示范区": ["滍阳镇", "湛北乡"],
}


# Auspicious trade-name words, as in most Chinese company names.
WORDS = [
    "鹰城", "中原", "鑫源", "华泰", "宏达", "恒信", "瑞丰", "天宇", "豫鹰", "金鼎", "博远", "昊阳", "嘉禾",
    "汇通", "远航", "正阳", "兴业", "德润", "同创", "明德", "盛世", "华夏", "宏图", "立信", "启明", "卓越",
    "新元", "鸿运", "安泰", "长青", "广源", "锦程", "信达", "凯瑞", "汝瓷", "尧山", "湛河", "白龟湖", "应国",
    "沙河",
]


TRADES = [
    "机械制造", "新材料科技", "化工", "电气设备", "矿山设备", "尼龙科技", "电子科技", "软件技术", "食品",
    "环保科技", "物流", "陶瓷", "钢结构", "生物医药", "能源科技",
]


FIELDS = [
    "医学", "护理", "土木建筑", "会计", "计算机", "农学", "机械工程", "教育", "药学", "环境科学", "煤炭", "电力",
    "化工", "测绘", "园艺", "心理", "法学", "档案", "统计", "水利",
]


@dataclass(frozen=True)
class Sector:
    kind: str
    industry: str | None  # the industry authority's name without its region, or None: the county reviews
    weight: float  # share of units
    staff: float  # relative head-count of one unit
    city_names: tuple[str, ...]  # city-run (平顶山市…) institutions, under the city's bureau
    county_names: tuple[str, ...]
    specialties: tuple[str, ...]


PUBLIC = Unit.Kind.PUBLIC_INSTITUTION


SECTORS = (
    Sector(
        PUBLIC, "卫生健康委员会", 8, 7,
        ("平顶山市第{m}人民医院", "平顶山市{word}医院", "平顶山市中医医院{town}分院", "平顶山市疾病预防控制中心{town}站"),
        ("{county}人民医院", "{county}中医院", "{county}妇幼保健院", "{county}第{m}人民医院", "{county}{town}卫生院",
         "{county}{word}医院", "{county}疾病预防控制中心"),
        ("临床医学", "内科学", "外科学", "护理学", "药学", "医学检验技术", "医学影像学", "中医学", "口腔医学",
         "预防医学"),
    ),
    Sector(
        PUBLIC, "教育局", 10, 4,
        ("平顶山市第{n}中学", "平顶山市{word}实验学校", "平顶山市第{n}高级中学", "平顶山市{town}实验小学"),
        ("{county}第{n}高级中学", "{county}第{n}初级中学", "{county}实验中学", "{county}{town}中心小学",
         "{county}{town}第{n}小学", "{county}职业教育中心", "{county}实验幼儿园"),
        ("中学语文", "中学数学", "中学英语", "中学物理", "中学化学", "小学语文", "小学数学", "体育教育", "音乐教育",
         "学前教育"),
    ),
    Sector(
        PUBLIC, "农业农村局", 4, 2,
        ("平顶山市农业科学院{town}试验站", "平顶山市{word}农业技术推广站"),
        ("{county}农业技术推广中心", "{county}畜牧技术服务中心", "{county}{town}农业服务中心", "{county}农业科学研究所",
         "{county}{word}种业站"),
        ("农学", "植物保护", "畜牧兽医", "农业经济管理", "园艺", "土壤肥料"),
    ),
    Sector(
        Unit.Kind.ENTERPRISE, "住房和城乡建设局", 5, 3,
        ("平顶山市{word}建筑设计研究院有限公司", "平顶山{word}工程勘察设计院有限公司"),
        ("{county}{word}建设工程有限公司", "{county}{word}市政工程有限公司", "{county}{word}建筑设计院"),
        ("建筑学", "结构工程", "给水排水工程", "暖通空调", "工程造价", "岩土工程", "市政工程"),
    ),
    Sector(
        Unit.Kind.ENTERPRISE, None, 45, 1.5,
        ("平顶山{word}{trade}有限公司", "河南{word}{trade}股份有限公司"),
        ("{county}{word}{trade}有限公司", "平顶山市{word}{trade}有限公司{county}分公司"),
        ("机械工程", "电气工程及其自动化", "化学工程", "采矿工程", "安全工程", "计算机科学与技术", "会计",
         "材料科学与工程", "环境工程"),
    ),
    Sector(
        Unit.Kind.SOCIAL_ORGANISATION, None, 6, 0.5,
        ("平顶山市{field}学会", "平顶山市{field}协会", "平顶山市{field}研究会", "平顶山{word}职业培训学校"),
        ("{county}{field}学会", "{county}{field}协会", "{county}{word}职业培训学校"),
        ("社会工作", "会计", "经济管理", "公共管理"),
    ),
    Sector(
        Unit.Kind.STATIONED, None, 6, 2.5,
        ("河南省{word}勘察设计院平顶山分院", "中原{word}保险股份有限公司平顶山中心支公司",
         "河南省第{m}地质勘查院"),
        ("河南{word}电力工程有限公司{county}项目部", "河南省{word}测绘院{county}工作站"),
        ("地质工程", "测绘工程", "电气工程", "金融学", "会计", "土木工程"),
    ),
)


WITH_AUTHORITY = [s for s in SECTORS if s.industry]


WITHOUT_AUTHORITY = [s for s in SECTORS if not s.industry]


# Common surnames, most frequent first, with rough weights (Henan has more 王、李、张 than most).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)


SURNAME_CUM_WEIGHTS = list(accumulate(max(1.0, 12.0 - i * 0.6) for i in range(len(SURNAMES))))


GIVEN_MALE = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富"
    "顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河"
    "哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠"
)


GIVEN_FEMALE = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳"
    "瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇"
    "菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬"
)


# Titles come with years of service: (age below, cumulative weights of the TitleLevel choices in order).
TITLE_BANDS = tuple(
    (below, list(accumulate(weights)))
    for below, weights in ((35, (10, 50, 35, 5, 0)), (45, (4, 18, 50, 24, 4)), (200, (2, 8, 40, 38, 12)))
)


TITLES = [t.value for t in Professional.TitleLevel]


NUMERALS = "零一二三四五六七八九十"


def _numeral(n: int) -> str:
    """Chinese numerals as in unit names: 1 → 一, 12 → 十二, 20 → 二十."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return NUMERALS[ones]
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


def id_index(person: int) -> int:
    """Spread people over fake_id_number's indices (a bijection on [0, 1,000,000)): consecutive people get
    birthdays years apart and alternate sexes, instead of a hundred people born on one day."""
    rest, block = person % 10_000, person // 10_000
    day = rest * 7_919 % 10_000  # 7,919 is prime, so this permutes the 10,000 birthdays
    return day * 100 + (block + rest) % 100


@dataclass(frozen=True)
class PlannedUnit:
    name: str
    credit_code: str
    county: str
    authority: tuple[str, str] | None  # (region name, authority name)
    sector: Sector
    staff_weight: float


def _allocate(total: int, weights: dict[str, float], minimum: int) -> dict[str, int]:
    """Split `total` by weight (largest remainder), at least `minimum` each."""
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} units cannot give {len(weights)} counties {minimum} each")
    shares = {k: spare * w / sum(weights.values()) for k, w in weights.items()}
    counts = {k: int(v) for k, v in shares.items()}
    by_remainder = sorted(weights, key=lambda k: (counts[k] - shares[k], k))
    for k in by_remainder[: spare - sum(counts.values())]:
        counts[k] += 1
    return {k: minimum + counts[k] for k in weights}


def _unit_name(rng: random.Random, sector: Sector, county: str, city_run: bool, taken: set[str]) -> str:
    templates = sector.city_names if city_run else sector.county_names
    for _ in range(60):
        name = rng.choice(templates).format(
            county=county, town=rng.choice(TOWNS[county]), n=_numeral(rng.randint(1, 12)),
            m=_numeral(rng.randint(1, 3)),
            word=rng.choice(WORDS), trade=rng.choice(TRADES), field=rng.choice(FIELDS),
        )
        if name not in taken:
            return name
    # Only a city far bigger than Pingdingshan exhausts the templates; a branch number keeps names apart.
    branch = 2
    while f"{name}第{_numeral(branch)}分部" in taken:
        branch += 1
    return f"{name}第{_numeral(branch)}分部"


def plan_units(batch: Batch, taken_names: set[str]) -> list[PlannedUnit]:
    """Units of a batch, spread over the counties. Each county's first unit has an industry authority
    and its second has none, so every county shows both review paths; the rest follow SECTORS' weights."""
    rng = random.Random(f"units-{batch.unit_start}")
    taken = set(taken_names)
    per_county = _allocate(batch.units, COUNTY_WEIGHTS, minimum=2)
    units = []
    indices = iter(batch.unit_indices)
    for county, count in per_county.items():
        for slot in range(count):
            pool = WITH_AUTHORITY if slot == 0 else WITHOUT_AUTHORITY if slot == 1 else SECTORS
            sector = rng.choices(pool, weights=[s.weight for s in pool])[0]
            city_run = county in URBAN and rng.random() < 0.4
            name = _unit_name(rng, sector, county, city_run, taken)
            taken.add(name)
            authority = None
            if sector.industry:
                region = CITY_NAME if city_run or county in ZONES_WITHOUT_BUREAUS else county
                authority = (region, f"{region}{sector.industry}")
            units.append(PlannedUnit(
                name=name, credit_code=fake_credit_code(next(indices)), county=county, authority=authority,
                sector=sector, staff_weight=sector.staff * rng.lognormvariate(0, 0.5),
            ))
    return units


class PlannedPerson(NamedTuple):  # a tuple: 200,000 of them are built in a few seconds
    name: str
    id_number: str
    specialty: str
    title_level: str
    unit: int  # position in the batch's unit list
    started_on: dt.date


def _pick(rng: random.Random, items: Sequence, cum_weights: Sequence[float]):
    """random.choices(k=1) without its per-call overhead, which shows at 200,000 people."""
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


def plan_people(batch: Batch, units: Sequence[PlannedUnit], *, year: int) -> list[PlannedPerson]:
    """People of a batch: every unit gets two when there are enough, the rest go by the units' head-count
    weights. Sex and age come from the ID number; the given name follows the sex, the title the age."""
    rng = random.Random(f"people-{batch.person_start}")
    floor = 2 if batch.professionals >= 2 * len(units) else 0
    positions = [u for u in range(len(units)) for _ in range(floor)]
    positions += rng.choices(
        range(len(units)), weights=[u.staff_weight for u in units], k=batch.professionals - len(positions)
    )
    earliest_start = dt.date(1995, 1, 1).toordinal()
    last_start = dt.date(year - 1, 12, 31).toordinal()
    people = []
    for offset, position in enumerate(positions):
        id_number = fake_id_number(id_index(batch.person_start + offset))
        born = int(id_number[6:10])
        given = GIVEN_MALE if id_number[16] in "13579" else GIVEN_FEMALE  # GB 11643: odd = male
        given_name = given[int(rng.random() * len(given))]
        if rng.random() >= 0.3:
            given_name += given[int(rng.random() * len(given))]
        first_start = max(dt.date(born + 22, 7, 1).toordinal(), earliest_start)
        specialties = units[position].sector.specialties
        people.append(PlannedPerson(
            name=_pick(rng, SURNAMES, SURNAME_CUM_WEIGHTS) + given_name,
            id_number=id_number,
            specialty=specialties[int(rng.random() * len(specialties))],
            title_level=_pick(rng, TITLES, next(w for below, w in TITLE_BANDS if year - born < below)),
            unit=position,
            started_on=dt.date.fromordinal(first_start + int(rng.random() * (last_start - first_start))),
        ))
    return people


@contextmanager
def bulk_load(tables: Sequence[str]):
    """Drop the tables' secondary indexes and foreign keys for a bulk COPY and build them again after, in
    bulk: far quicker than maintaining each index and checking each key row by row (millions of rows into
    the city). Unique and primary-key constraints stay in force. PostgreSQL only; the caller's transaction
    makes it all or nothing."""
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run while deferred foreign-key checks of earlier writes in this transaction
        # are pending on the tables involved: run them now, and defer again once the keys are back.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)", [list(tables)])
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)", [list(tables)])
        foreign_keys = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        for table, name, _ in foreign_keys:
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            # A partitioned table's index reads "ON ONLY": as written it would be built for no partition.
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
        for table, name, definition in foreign_keys:
            cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name))
                           + sql.SQL(definition))
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def insert_rows(model, fields: Sequence[str], rows: Sequence[tuple], *, copy: bool | None = None) -> list[int]:
    """Insert rows (values in `fields` order, attnames) and return their new primary keys, in row order.
    COPY (PostgreSQL only, the default there: ≈15× bulk_create, docs/measurements.md) takes its ids from the
    table's sequence first; otherwise bulk_create. Digest columns (`id_number_digest`) are passed as values:
    COPY computes nothing."""
    if not rows:
        return []
    if copy is None:
        copy = connection.vendor == "postgresql"
    if not copy:
        objects = [model(**dict(zip(fields, row))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        return [obj.pk for obj in objects]
    table = model._meta.db_table
    columns = [model._meta.pk.column] + [model._meta.get_field(name).column for name in fields]
    # COPY bypasses the fields: encrypted ones (ID and phone numbers) are encrypted here, as a save would.
    encrypted = [i for i, name in enumerate(fields) if isinstance(model._meta.get_field(name), EncryptedTextField)]
    if encrypted:
        rows = [tuple(encrypt(v) if i in encrypted and v else v for i, v in enumerate(row)) for row in rows]
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor:
        cursor.execute(
    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, len(rows)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        with cursor.copy(copy_sql) as writer:
            for pk, row in zip(ids, rows):
                writer.write_row((pk, *row))
    return ids


def _authority_ids(
    keys: set[tuple[str, str]], regions: dict[str, int]
) -> tuple[dict[tuple[str, str], int], int]:
    """Ids of the (region name, authority name) pairs, creating the missing authorities; and how many."""
    ids, created = {}, 0
    for region_name, name in sorted(keys):
        authority, made = IndustryAuthority.objects.get_or_create(region_id=regions[region_name], name=name)
        ids[region_name, name] = authority.pk
        created += made
    return ids, created


def seed_batch(batch: Batch, *, today: dt.date, copy: bool | None = None) -> Counter:
    """Write one batch of units, their authorities, people and current employments; skip it if its
    first unit is already there (the whole seeding is one transaction, so a batch is all or nothing)."""
    if Unit.objects.filter(credit_code=fake_credit_code(batch.unit_start)).exists():
        return Counter()
    units = plan_units(batch, set(Unit.objects.values_list("name", flat=True)))
    people = plan_people(batch, units, year=today.year)
    regions = dict(Region.objects.values_list("name", "id"))
    authority_ids, authorities_created = _authority_ids({u.authority for u in units if u.authority}, regions)
    unit_ids = insert_rows(
        Unit, ("name", "credit_code", "region_id", "authority_id", "kind"),
        [(u.name, u.credit_code, regions[u.county], authority_ids.get(u.authority), u.sector.kind)
         for u in units],
        copy=copy,
    )
    now = timezone.now()
    professional_ids = insert_rows(
        Professional,
        ("name", "id_number", "id_number_digest", "specialty", "title_level", "phone", "status", "created_at"),
        [(p.name, p.id_number, lookup_digest(p.id_number), p.specialty, p.title_level, "", Professional.Status.ACTIVE,
          now) for p in people],
        copy=copy,
    )
    insert_rows(
        Employment, ("professional_id", "unit_id", "started_on"),
        [(pk, unit_ids[p.unit], p.started_on) for pk, p in zip(professional_ids, people)],
        copy=copy,
    )
    return Counter(
        authorities=authorities_created, units=len(unit_ids), professionals=len(professional_ids),
        employments=len(professional_ids),
    )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_en: str
    landing_url_name: str
    landing: str
    landing_en: str
    reviewer_name: str = ""  # people who are not a demo professional get a name of their own


DEMO_LOGINS = (
    DemoLogin("demo_professional", Role.PROFESSIONAL, "Professional", "records:my_home",
    "我的继续教育", "my CE hours"),
    DemoLogin("demo_unit", Role.UNIT_REVIEWER, "Unit reviewer (unit with an industry authority)",
    "records:unit_home", "用人单位工作台", "unit desk", "王芳"),
    DemoLogin("demo_unit2", Role.UNIT_REVIEWER, "Unit reviewer (unit without an authority)",
    "records:unit_home", "用人单位工作台", "unit desk", "刘洋"),
    DemoLogin("demo_authority", Role.AUTHORITY_REVIEWER, "Industry authority reviewer",
    "records:authority_home", "行业主管部门工作台", "authority desk", "陈静"),
    DemoLogin("demo_county", Role.COUNTY_HR, "County HR bureau", "records:county_home",
    "县（市、区）人社局工作台", "county desk", "赵磊"),
    DemoLogin("demo_city", Role.CITY_HR, "City HR bureau, also admin", "records:city_home",
    "市人社局工作台（及 /admin/）", "city desk (and /admin/)", "孙丽"),
)


def _demo_units() -> tuple[Unit, Unit]:
    """The demo batch's first units in 新华区 with and without an industry authority."""
    units = Unit.objects.filter(
        credit_code__in=[fake_credit_code(i) for i in DEMO_BATCH.unit_indices], region__name=DEMO_COUNTY,
    ).order_by("credit_code")
    return units.filter(authority__isnull=False).first(), units.filter(authority__isnull=True).first()


def seed_logins(run: "Seeding") -> None:
    User = get_user_model()
    missing = [login for login in DEMO_LOGINS if not User.objects.filter(username=login.username).exists()]
    if not missing:
        return
    with_authority, without_authority = _demo_units()
    person = Professional.objects.filter(
        employments__unit=with_authority, employments__ended_on__isnull=True, user__isnull=True,
    ).order_by("pk").first()
    scopes = {
        "demo_professional": {"professional": person},
        "demo_unit": {"unit": with_authority},
        "demo_unit2": {"unit": without_authority},
        "demo_authority": {"authority": with_authority.authority},
        "demo_county": {"region": Region.objects.get(name=DEMO_COUNTY)},
        "demo_city": {"region": Region.objects.get(name=CITY_NAME)},
    }
    for login in missing:
        name = login.reviewer_name or person.name
        # An address, so that the demo's password reset and notices by mail can be tried (the demo's mail goes to
        # the worker's log: EMAIL_BACKEND in ce_portal/settings.py).
        user = User(username=login.username, first_name=f"{name}（演示）", email=f"{login.username}@demo.example.cn")
        user.set_password(DEMO_PASSWORD)
        user.save()
        if login.role == Role.PROFESSIONAL:
            person.user = user
            person.save(update_fields=["user"])
        # The post_save signal gives a city_hr member the admin group (records.people.services).
        RoleMembership.objects.create(user=user, role=login.role, **scopes[login.username])
        run.stats["logins"] += 1


def approve_platform_years(run: "Seeding") -> None:
    """city_hr re-approves the platforms every year; the demo has done so for every year up to now."""
    years = set(range(NOTICE_YEAR, run.today.year + 1))
    for platform in LearningPlatform.objects.all():
        if not years <= set(platform.years_approved):
            platform.years_approved = sorted(years | set(platform.years_approved))
            platform.save(update_fields=["years_approved"])
            run.stats["platform_years"] += 1


@dataclass
class Seeding:
    size: str
    today: dt.date
    now: dt.datetime
    stats: Counter = field(default_factory=Counter)
