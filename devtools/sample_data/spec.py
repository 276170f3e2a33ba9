"""Fixed parameters of the sample world: headline figures, defect rates, file layouts, word lists.

Everything the generator decides "by design" lives here, so the defect table in
``devtools/sample_data/__init__.py`` and the truth file can be produced from one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.ingest.years import BE_CE_OFFSET
from pipeline import contract

# --------------------------------------------------------------------------------------
# Headline figures at scale 1 (counts multiply by --scale)
# --------------------------------------------------------------------------------------
FY = (2564, 2565)
HEADLINE = {
    2564: {"active": 29, "enterprises": 680, "budget_thb": 19_000_000, "economic_value": 1_200_000_000},
    2565: {"active": 34, "enterprises": 700, "budget_thb": 17_000_000, "economic_value": 1_350_000_000},
}
# Cluster identities at scale 1: A continue 2564 -> 2565, B active 2564 only (B1 of them listed
# again in 2565 as cancelled), C listed 2564 as merged / cancelled, D new in 2565.
N_CONTINUING = 26
N_ONLY_2564 = 3
N_B_CANCELLED_2565 = 1
N_MERGED_2564 = 1
N_CANCELLED_2564 = 1
N_NEW_2565 = 8
RETURN_PROBABILITY = 0.5  # enterprise of a continuing cluster registers again the next year

ALLOC_UNIT_THB = 5_000  # allocations are multiples of this (exact in million baht, 3 decimals)
ALLOC_MIN_UNITS = 60  # 300,000 baht
ALLOC_MAX_UNITS = 300  # 1,500,000 baht

EXECUTED_RATIO = {2564: (0.962, 0.982), 2565: (0.955, 0.978)}  # year executed / allocation
PROGRAMME_SHARE = 0.02  # share of the allocation spent programme-wide (blank cluster code)

DATA_END = dt.date(2022, 9, 30)  # last posting date (end of FY 2565)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def fy_start(year_be: int) -> dt.date:
    return dt.date(year_be - BE_CE_OFFSET - 1, 10, 1)


def fy_end(year_be: int) -> dt.date:
    return dt.date(year_be - BE_CE_OFFSET, 9, 30)


# --------------------------------------------------------------------------------------
# Offices and provinces
# --------------------------------------------------------------------------------------
OFFICES = contract.OFFICES  # ("กสอ.", "ศภ.1", ..., "ศภ.11")
OFFICE_CODES = [contract.OFFICE_FILE_CODES[o] for o in OFFICES]  # hq, ipc1..ipc11
OFFICE_PROVINCES = {
    "hq": (10, 11, 12, 13, 73, 74),
    "ipc1": (50, 51, 52, 54, 55, 56, 57, 58),
    "ipc2": (53, 62, 63, 64, 65, 66, 67),
    "ipc3": (20, 21, 22, 23, 24, 25, 26, 27),
    "ipc4": (40, 44, 45, 46),
    "ipc5": (38, 39, 41, 42, 43, 47, 48, 49),
    "ipc6": (90, 91, 92, 93, 94, 95, 96),
    "ipc7": (70, 71, 72, 75, 76, 77),
    "ipc8": (80, 81, 82, 83, 84, 85, 86),
    "ipc9": (30, 31, 32, 36),
    "ipc10": (33, 34, 35, 37),
    "ipc11": (14, 15, 16, 17, 18, 19, 60, 61),
}
OFFICE_WEIGHTS = (2.0,) + (1.0,) * 11  # hq leads more clusters
REGION_DIGIT = {"Central": 1, "North": 2, "Northeast": 3, "East": 4, "South": 5, "West": 6}
PROVINCE_SPECIAL_ALIASES = {10: ("กรุงเทพฯ", "กทม.", "Bangkok", "BKK"), 30: ("Korat",), 20: ("Chonburi",)}

# --------------------------------------------------------------------------------------
# Sectors
# --------------------------------------------------------------------------------------
SECTORS = list(contract.SECTORS)  # Thai names, contract order
TARGET_INDUSTRY = ("สปา", "อาหารแห่งอนาคต", "การแพทย์ครบวงจร", "หุ่นยนต์และระบบอัตโนมัติ", "ดิจิทัล")
SECTOR_WEIGHTS_HQ = (0.5, 1.0, 0.6, 0.4, 0.2, 0.2, 1.5, 1.5, 1.5, 1.5)
SECTOR_WEIGHTS_REGION = (1.2, 0.8, 1.2, 1.2, 1.0, 0.8, 0.8, 0.5, 0.5, 0.6)
SECTOR_EN = {
    "กาแฟ": "Coffee",
    "สปา": "Spa and Wellness",
    "สมุนไพร": "Herbal Products",
    "ผลไม้แปรรูป": "Processed Fruit",
    "ยางพารา": "Rubber",
    "น้ำผึ้ง": "Honey",
    "อาหารแห่งอนาคต": "Future Food",
    "การแพทย์ครบวงจร": "Medical Devices",
    "หุ่นยนต์และระบบอัตโนมัติ": "Robotics and Automation",
    "ดิจิทัล": "Digital Products",
}
SECTOR_TSIC = {
    "กาแฟ": ("10761", "01270", "10762", "46311"),
    "สปา": ("96102", "96101", "20231", "20232"),
    "สมุนไพร": ("01281", "21002", "20232", "10799"),
    "ผลไม้แปรรูป": ("10301", "10302", "01229", "10309"),
    "ยางพารา": ("01291", "22191", "22199", "16292"),
    "น้ำผึ้ง": ("01492", "10799", "46309", "10769"),
    "อาหารแห่งอนาคต": ("10799", "10750", "01631", "10301"),
    "การแพทย์ครบวงจร": ("32501", "32502", "26600", "46691"),
    "หุ่นยนต์และระบบอัตโนมัติ": ("28299", "33120", "62010", "28190"),
    "ดิจิทัล": ("62010", "62020", "58201", "63110"),
}
TRADE_TSIC_PREFIXES = ("46", "47", "56", "58", "62", "63", "96")
SECTOR_WORDS = {
    "กาแฟ": ("กาแฟ", "คอฟฟี่", "โรสเตอร์", "เมล็ดกาแฟ"),
    "สปา": ("สปา", "เวลเนส", "ว่านหอม", "บิวตี้"),
    "สมุนไพร": ("สมุนไพร", "เฮิร์บ", "ไพลทอง", "ขมิ้นทอง"),
    "ผลไม้แปรรูป": ("ผลไม้", "ฟรุ๊ต", "มะม่วงทอง", "ทุเรียนกวน"),
    "ยางพารา": ("ยางพารา", "รับเบอร์", "ลาเท็กซ์", "ยางไทย"),
    "น้ำผึ้ง": ("น้ำผึ้ง", "ฮันนี่", "ผึ้งหลวง", "บีฟาร์ม"),
    "อาหารแห่งอนาคต": ("ฟู้ดส์", "โปรตีน", "ฟู้ดเทค", "แพลนท์เบส"),
    "การแพทย์ครบวงจร": ("เมดิคอล", "เมดิเทค", "เฮลท์แคร์", "ไบโอเมด"),
    "หุ่นยนต์และระบบอัตโนมัติ": ("โรโบติกส์", "ออโตเมชั่น", "เอ็นจิเนียริ่ง", "แมคคาทรอนิกส์"),
    "ดิจิทัล": ("ดิจิทัล", "ซอฟต์", "เทคโนโลยี", "ไอโอที"),
}
NAME_PREFIXES = (
    "สยาม", "ไทย", "ศรี", "รุ่งเรือง", "เจริญ", "ทองดี", "มั่งคั่ง", "ล้านนา", "อีสาน", "ทักษิณ",
    "บูรพา", "ภูผา", "ดอยงาม", "นาคา", "มณี", "พรรณ", "ธารทอง", "ใบเขียว", "ฟ้าใส", "แสงทอง",
    "วัฒนา", "ชัยมงคล", "ร่มเย็น", "สุขใจ", "บ้านสวน", "เรือนไทย", "กรีน", "โกลเด้น", "สมาร์ท", "ยูนิตี้",
    "เพชรงาม", "รวงข้าว", "ภูคำ", "ลำน้ำ", "สายธาร", "ดวงดี", "นำชัย", "ปัญญา", "อรุณ", "ตะวัน",
)
NAME_SUFFIXES = ("", "", "", "", " อินเตอร์เนชั่นแนล", " กรุ๊ป", " (ไทยแลนด์)", " เทรดดิ้ง", " โปรดักส์", " 2019")
CE_GROUP_WORDS = ("กลุ่ม", "กลุ่มแม่บ้าน", "กลุ่มเกษตรกร", "กลุ่มผู้ผลิต")
VILLAGES = (
    "หนองบัว", "ป่าตึง", "ดอนแก้ว", "ห้วยทราย", "โคกสูง", "นาดี", "แม่ริม", "ทุ่งใหญ่", "บ่อพลอย", "คลองน้อย",
    "หนองหญ้าปล้อง", "ดงเย็น", "ท่าช้าง", "บางปลา", "สันทราย", "โนนสะอาด", "ห้วยยาง", "ปากน้ำ", "เขาพระ", "บ้านไร่",
)
FIRST_NAMES = (  # (thai, romanised, female)
    ("สมชาย", "somchai", 0), ("สมศักดิ์", "somsak", 0), ("วิชัย", "wichai", 0), ("ประเสริฐ", "prasert", 0),
    ("สุรชัย", "surachai", 0), ("อนุชา", "anucha", 0), ("ธนพล", "thanaphon", 0), ("กิตติ", "kitti", 0),
    ("ณัฐพล", "nattaphon", 0), ("พงศกร", "pongsakorn", 0), ("ชัยวัฒน์", "chaiwat", 0), ("วีระ", "weera", 0),
    ("มานพ", "manop", 0), ("ศักดิ์ชัย", "sakchai", 0), ("บุญมี", "boonmee", 0), ("ปิยะ", "piya", 0),
    ("ภานุวัฒน์", "panuwat", 0), ("เอกชัย", "ekkachai", 0), ("สุริยา", "suriya", 0), ("อภิชาติ", "apichat", 0),
    ("สมหญิง", "somying", 1), ("สุดารัตน์", "sudarat", 1), ("วันเพ็ญ", "wanphen", 1), ("มาลี", "malee", 1),
    ("กาญจนา", "kanchana", 1), ("รัตนา", "rattana", 1), ("อรุณี", "arunee", 1), ("จันทร์เพ็ญ", "chanphen", 1),
    ("ปราณี", "pranee", 1), ("นงลักษณ์", "nongluck", 1), ("ศิริพร", "siriporn", 1), ("พรทิพย์", "pornthip", 1),
    ("สุนีย์", "sunee", 1), ("ลำดวน", "lamduan", 1), ("ทองใบ", "thongbai", 1), ("อำไพ", "amphai", 1),
    ("ธิดารัตน์", "thidarat", 1), ("วรรณา", "wanna", 1), ("เพ็ญศรี", "pensri", 1), ("จิราพร", "jiraporn", 1),
)
LAST_NAMES = (
    ("ใจดี", "jaidee"), ("ศรีสุข", "srisuk"), ("ทองคำ", "thongkham"), ("บุญมา", "boonma"),
    ("แสงทอง", "saengthong"), ("สุขสวัสดิ์", "suksawat"), ("รุ่งเรือง", "rungruang"), ("พึ่งบุญ", "phuengboon"),
    ("วงศ์ใหญ่", "wongyai"), ("เจริญผล", "charoenphon"), ("มีสุข", "meesuk"), ("ศรีวงศ์", "sriwong"),
    ("คำแก้ว", "khamkaew"), ("อินทร์แก้ว", "inkaew"), ("ชัยมงคล", "chaimongkol"), ("ปัญญาดี", "panyadee"),
    ("สายทอง", "saithong"), ("บุญเรือง", "boonruang"), ("ทองดี", "thongdee"), ("พรหมมา", "promma"),
    ("นาคสุข", "naksuk"), ("จันทร์หอม", "chanhom"), ("แก้วมณี", "kaewmanee"), ("สมบูรณ์", "somboon"),
    ("อ่อนศรี", "onsri"), ("ธนากร", "thanakorn"), ("วัฒนชัย", "wattanachai"), ("กิจเจริญ", "kitcharoen"),
    ("ศรีประเสริฐ", "sriprasert"), ("หอมจันทร์", "homchan"), ("เพชรรัตน์", "petcharat"), ("สุวรรณศรี", "suwannasri"),
)
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.co.th", "outlook.co.th", "gmail.com", "icloud.com")
CERTIFICATIONS = ("อย.", "มผช.", "GMP", "ฮาลาล", "ISO 9001", "ISO 13485", "HACCP", "Thai SELECT")

THAI_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
THAI_MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
ZWSP = "\u200b"

# --------------------------------------------------------------------------------------
# Spending vocabulary
# --------------------------------------------------------------------------------------
ACTIVITIES = list(contract.ACTIVITIES)  # Thai names
A_EXPERT, A_TRAINING, A_VISIT, A_PACKAGING, A_PROTO, A_MATCHING, A_FINANCE, A_TRAVEL, A_MATERIALS, A_MGMT = range(10)
CHANNELS = list(contract.CHANNELS)  # ITC, TIDC, SME Rescue, RISPM, กสอ.
ACTIVITY_CHANNELS = {  # activity index -> (channel indices, probabilities)
    A_EXPERT: ((0, 2, 3), (0.5, 0.2, 0.3)),
    A_TRAINING: ((4, 3, 0), (0.5, 0.3, 0.2)),
    A_VISIT: ((4,), (1.0,)),
    A_PACKAGING: ((1,), (1.0,)),
    A_PROTO: ((0, 1), (0.7, 0.3)),
    A_MATCHING: ((4, 3), (0.6, 0.4)),
    A_FINANCE: ((2,), (1.0,)),
    A_TRAVEL: ((4,), (1.0,)),
    A_MATERIALS: ((4,), (1.0,)),
    A_MGMT: ((4,), (1.0,)),
}
ENTERPRISE_ACTIVITIES = ((A_EXPERT, A_PACKAGING, A_PROTO, A_FINANCE, A_MATCHING), (0.4, 0.15, 0.15, 0.15, 0.15))
CLUSTER_ACTIVITIES = ((A_TRAINING, A_VISIT, A_TRAVEL, A_MATERIALS, A_MATCHING, A_MGMT), (0.3, 0.15, 0.25, 0.15, 0.1, 0.05))
PROGRAMME_ACTIVITIES = ((A_MGMT, A_TRAVEL, A_MATERIALS), (0.5, 0.2, 0.3))
COMMITMENT_ACTIVITIES = ((A_EXPERT, A_TRAINING, A_PACKAGING, A_PROTO, A_MATCHING), (0.35, 0.25, 0.15, 0.15, 0.1))
ACTIVITY_WEIGHT = (3.0, 2.0, 1.5, 2.5, 2.5, 1.5, 1.2, 0.4, 0.5, 1.0)  # relative size of a payment
ACTIVITY_PAYEE_PERSON_SHARE = (0.6, 0.3, 0.0, 0.0, 0.0, 0.0, 0.9, 0.95, 0.1, 0.5)
DESCRIPTIONS = (
    ("ค่าตอบแทนที่ปรึกษาเชิงลึก", "ค่าที่ปรึกษาวินิจฉัยสถานประกอบการ", "ค่าผู้เชี่ยวชาญให้คำปรึกษา"),
    ("ค่าจัดฝึกอบรมหลักสูตรการตลาดออนไลน์", "ค่าวิทยากรสัมมนา", "ค่าอาหารและเครื่องดื่มฝึกอบรม"),
    ("ค่าเช่ารถศึกษาดูงาน", "ค่าศึกษาดูงานสถานประกอบการต้นแบบ"),
    ("ค่าออกแบบบรรจุภัณฑ์", "ค่าจัดทำต้นแบบบรรจุภัณฑ์"),
    ("ค่าจัดทำต้นแบบผลิตภัณฑ์", "ค่าพิมพ์ 3 มิติ ต้นแบบ"),
    ("ค่าเช่าพื้นที่งานแสดงสินค้า", "ค่าจัดกิจกรรมจับคู่ธุรกิจ"),
    ("ค่าที่ปรึกษาคลินิกการเงิน", "ค่าจัดทำแผนธุรกิจเพื่อขอสินเชื่อ"),
    ("ค่าเบี้ยเลี้ยงเดินทางไปราชการ", "ค่าน้ำมันเชื้อเพลิง", "ค่าที่พัก"),
    ("ค่าวัสดุสำนักงาน", "ค่าวัสดุฝึกอบรม", "ค่าถ่ายเอกสาร"),
    ("ค่าจ้างเหมาบริหารโครงการ", "ค่าตอบแทนเจ้าหน้าที่โครงการ", "ค่าประชาสัมพันธ์โครงการ"),
)
PAYEE_COMPANY_WORDS = ("คอนซัลแตนท์", "ดีไซน์", "เอ็นจิเนียริ่ง", "ออแกไนเซอร์", "ทราเวล", "ซัพพลาย", "เทรนนิ่ง", "มีเดีย")
REMARKS = ("", "", "", "", "", "ตามสัญญาจ้าง", "ตรวจรับแล้ว", "เบิกผ่านระบบ GFMIS")
REFUND_REMARK = "คืนเงินเหลือจ่าย"

# --------------------------------------------------------------------------------------
# Defect table: kind -> (source, handling, code, rate, basis, description)
#
# rate:  expected count = floor(rate * basis_count + 0.5) per fiscal year (summed over years)
#        None = structural (the count is whatever the clean world contains; the truth states
#        the observed share)
# basis: listed_clusters | continuing_clusters | active_clusters | registrations (clean rows
#        = accepted enterprises) | spending_rows (clean rows of the budget year) |
#        survey_enterprises | survey_rows (clean rows) | files (files of the source)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    kind: str
    source: str
    handling: str  # quarantine | repair | non_data | flag | check
    code: str | None
    rate: float | None
    basis: str
    description: str
    years: tuple[int, ...] = FY


DEFECTS: tuple[Defect, ...] = (
    # cluster plans
    Defect("plan_title_row", "cluster_plans", "non_data", "title_row", 1.0, "files", "1-3 title rows above the header (2564: 2, 2565: 3)"),
    Defect("plan_total_row", "cluster_plans", "non_data", "total_row", 1.0, "files", "last row `รวม` with the allocation total"),
    Defect("plan_duplicate_cluster", "cluster_plans", "quarantine", "duplicate_cluster", 0.03, "listed_clusters", "a cluster listed a second time right below, name without the `คลัสเตอร์` prefix"),
    Defect("plan_predecessor_missing", "cluster_plans", "flag", "predecessor_missing", 0.10, "continuing_clusters", "continuing cluster with blank predecessor_code; identity = sector + lead province (same Thai name)", (2565,)),
    Defect("plan_allocation_text", "cluster_plans", "check", None, 0.30, "listed_clusters", "allocation typed as text (`1,250,000.00` / `1,250,000`)", (2564,)),
    Defect("plan_million_baht", "cluster_plans", "repair", "amount_million_baht", 1.0, "listed_clusters", "header `งบประมาณที่ได้รับจัดสรร (ล้านบาท)`, values like 0.615", (2565,)),
    Defect("plan_province_alias", "cluster_plans", "repair", "province_alias", 0.15, "listed_clusters", "lead province written as alias (English, `จ.` prefix, `กทม.`, `Korat`, ...)"),
    Defect("plan_name_spacing", "cluster_plans", "repair", "text_cleaned", 0.05, "listed_clusters", "cluster name with leading/trailing spaces or U+200B"),
    Defect("plan_name_prefix_missing", "cluster_plans", "check", None, 0.05, "listed_clusters", "cluster name without the `คลัสเตอร์` prefix (never referenced by name elsewhere)"),
    Defect("over_allocation", "cluster_plans", "check", "over_allocation", 0.07, "active_clusters", "cluster whose executed spend exceeds its allocation (listed on the plan row)"),
    # registrations
    Defect("reg_title_row", "registrations", "non_data", "title_row", None, "files", "a title row above the header in some xlsx files"),
    Defect("reg_extra_column", "registrations", "check", None, None, "files", "an unknown extra column (`หมายเหตุเจ้าหน้าที่`), kept aside (listed on the header row)"),
    Defect("reg_duplicate", "registrations", "quarantine", "duplicate_registration", 0.03, "registrations", "same enterprise again in the same year (same or other office, later date, name written differently)"),
    Defect("reg_tax_id_scientific", "registrations", "quarantine", "tax_id_unreadable", 0.01, "registrations", "tax ID as `1.05554E+12` (extra enterprise)"),
    Defect("reg_tax_id_checksum", "registrations", "quarantine", "tax_id_checksum", 0.015, "registrations", "13-digit tax ID with a wrong check digit (extra enterprise)"),
    Defect("reg_personal_id_for_juristic", "registrations", "quarantine", "tax_id_personal_for_juristic", 0.01, "registrations", "company/partnership with a (valid) personal ID (extra enterprise)"),
    Defect("reg_cluster_unknown", "registrations", "quarantine", "cluster_unknown", 0.01, "registrations", "cluster code not in that year's plan (extra enterprise)"),
    Defect("reg_date_outside_fy", "registrations", "quarantine", "date_outside_fiscal_year", 0.01, "registrations", "registration date outside the stated fiscal year (extra enterprise)"),
    Defect("reg_tax_id_12_digits", "registrations", "repair", "tax_id_leading_zero", 0.04, "registrations", "juristic tax ID with the leading 0 lost (12 digits; number cell in xlsx)"),
    Defect("reg_year_ce", "registrations", "repair", "year_ce", 0.03, "registrations", "fiscal_year as CE (`2021`)"),
    Defect("reg_year_short", "registrations", "repair", "year_short", 0.03, "registrations", "fiscal_year as short BE (`64`)"),
    Defect("reg_thai_digits", "registrations", "repair", "thai_digits", 0.03, "registrations", "Thai digits in one cell (tax_id, registered_on or employees)"),
    Defect("reg_name_spacing", "registrations", "repair", "text_cleaned", 0.05, "registrations", "enterprise name with leading/trailing/double spaces or U+200B"),
    Defect("reg_name_abbreviation", "registrations", "repair", "name_abbreviation", 0.08, "registrations", "`บจก.` / `หจก.` for บริษัท … จำกัด / ห้างหุ้นส่วนจำกัด …"),
    Defect("reg_province_alias", "registrations", "repair", "province_alias", 0.20, "registrations", "province written as alias"),
    Defect("reg_cluster_by_name", "registrations", "repair", "cluster_name_resolved", 0.03, "registrations", "cluster given by this year's Thai name"),
    Defect("reg_tsic_leading_zero", "registrations", "repair", "tsic_leading_zero", 0.04, "registrations", "TSIC `01270` typed `1270` (number cell in xlsx)"),
    Defect("reg_excel_serial_date", "registrations", "repair", "excel_serial_date", 0.03, "registrations", "registered_on as Excel serial (number cell in xlsx, text `44270` in csv)"),
    Defect("reg_employees_text", "registrations", "check", None, 0.05, "registrations", "employees typed `5 คน`"),
    Defect("reg_revenue_text_baht", "registrations", "check", None, 0.05, "registrations", "revenue typed `1,250,000 บาท`"),
    # spending
    Defect("spend_title_row", "spending", "non_data", "title_row", None, "files", "title rows above the header in some xlsx ledgers"),
    Defect("spend_subtotal_row", "spending", "non_data", "total_row", None, "files", "`รวม` subtotal row after each office block in some files"),
    Defect("spend_blank_row", "spending", "non_data", "blank_row", None, "files", "blank rows inside the data of some files"),
    Defect("spend_duplicate_document", "spending", "quarantine", "duplicate_document", 0.01, "spending_rows", "the identical row again in a later monthly file"),
    Defect("spend_cluster_unknown", "spending", "quarantine", "cluster_unknown", 0.005, "spending_rows", "cluster code not in the budget year's plan (extra row)"),
    Defect("spend_date_outside_window", "spending", "quarantine", "date_outside_fiscal_year", 0.002, "spending_rows", "budget-2565 row posted in FY 2564 (before its budget year starts; extra row)", (2565,)),
    Defect("spend_commitment", "spending", "check", None, None, "spending_rows", "commitment row (ผูกพัน) beside its disbursements: never add them up"),
    Defect("spend_refund_later", "spending", "check", None, None, "spending_rows", "refund (คืนเงิน, negative) posted 1-5 months after the disbursement"),
    Defect("spend_carry_over", "spending", "check", None, 0.04, "spending_rows", "budget-2564 row posted Oct 2564 - Feb 2565 with remark `กันเหลื่อมปี`", (2564,)),
    Defect("spend_programme_wide", "spending", "check", None, None, "spending_rows", "blank cluster_code: programme-wide cost, counts in the year's executed spend"),
    Defect("spend_zero_dash", "spending", "check", None, 0.003, "spending_rows", "amount `-` (= zero) on an extra disbursement row"),
    Defect("spend_excel_serial_date", "spending", "repair", "excel_serial_date", 0.04, "spending_rows", "posted_on as Excel serial"),
    Defect("spend_cluster_old_name", "spending", "repair", "cluster_name_resolved", 0.01, "spending_rows", "budget-2565 row giving a renamed cluster by its 2564 Thai name", (2565,)),
    Defect("spend_cluster_by_name", "spending", "repair", "cluster_name_resolved", 0.01, "spending_rows", "cluster given by the year's Thai name"),
    Defect("spend_year_ce", "spending", "repair", "year_ce", 0.01, "spending_rows", "budget_fiscal_year as CE"),
    Defect("spend_year_short", "spending", "repair", "year_short", 0.01, "spending_rows", "budget_fiscal_year as short BE"),
    Defect("spend_thai_digits", "spending", "repair", "thai_digits", 0.01, "spending_rows", "Thai digits in one cell (amount, posted_on or document_no)"),
    # outcome surveys
    Defect("survey_baseline_only", "outcomes", "flag", "round_missing", 0.06, "survey_enterprises", "attrition: baseline but no follow-up"),
    Defect("survey_after_only", "outcomes", "flag", "round_missing", 0.015, "survey_enterprises", "follow-up without baseline"),
    Defect("survey_round_missing_induced", "outcomes", "flag", "round_missing", None, "survey_enterprises", "the other round of this enterprise is quarantined (amount_unit_suspect / cost_reduction_percentage)"),
    Defect("survey_unregistered", "outcomes", "quarantine", "enterprise_unregistered", 0.01, "survey_enterprises", "valid tax ID that no registration has (extra row)"),
    Defect("survey_duplicate", "outcomes", "quarantine", "duplicate_survey", 0.015, "survey_rows", "identical copy of a row later in the sheet"),
    Defect("survey_million_baht", "outcomes", "quarantine", "amount_unit_suspect", 0.01, "survey_rows", "annual sales typed in million baht (`2.35`)"),
    Defect("survey_cost_percentage", "outcomes", "quarantine", "cost_reduction_percentage", 0.01, "survey_rows", "cost reduction typed `15%` (after rows)"),
    Defect("survey_value_mismatch", "outcomes", "flag", "reported_value_mismatch", 0.02, "survey_rows", "reported value off by 3-30% from its components (after rows)"),
    Defect("survey_excel_serial_date", "outcomes", "repair", "excel_serial_date", 0.03, "survey_rows", "surveyed_on as Excel serial"),
    Defect("survey_thai_digits", "outcomes", "repair", "thai_digits", 0.02, "survey_rows", "Thai digits in one cell (annual_sales_thb, surveyed_on or employees)"),
)
DEFECTS_BY_KIND = {d.kind: d for d in DEFECTS}
DEFECT_LIST_CAP_TOTAL = 60_000  # above this many entries the per-defect list keeps ...
DEFECT_LIST_CAP_PER_KIND = 500  # ... the first entries of each kind (counts stay complete)

# --------------------------------------------------------------------------------------
# File layouts at scale 1 (per office / month), see layout.py
# --------------------------------------------------------------------------------------
# registrations: (office code, year) -> properties; defaults: csv, utf-8-sig, Thai headers
REG_XLSX = {("ipc2", 2564), ("ipc2", 2565), ("ipc7", 2564), ("ipc7", 2565), ("hq", 2565)}
REG_TITLE = {("ipc7", 2564): 1, ("ipc7", 2565): 1, ("hq", 2565): 2}
REG_CP874 = {"ipc4", "ipc5", "ipc6", "ipc9"}
REG_PLAIN_UTF8 = {("ipc10", 2564), ("ipc11", 2565)}
REG_ENGLISH = {("ipc3", 2564): "title", ("ipc8", 2565): "upper", ("ipc11", 2564): "lower"}
REG_SHUFFLED = {("ipc1", 2565), ("ipc5", 2564), ("ipc8", 2565), ("hq", 2565)}
REG_EXTRA_COLUMN = {("ipc6", 2564), ("ipc6", 2565), ("ipc10", 2565)}
REG_CRLF = REG_CP874

# spending: (BE year, month) of posting -> properties
SPEND_MONTHS = [(2563, m) for m in (10, 11, 12)] + [(2564, m) for m in range(1, 13)] + [(2565, m) for m in range(1, 10)]
SPEND_XLSX = {(2563, 10), (2563, 11), (2563, 12), (2564, 1), (2564, 2), (2564, 3), (2564, 10), (2565, 1), (2565, 6)}
SPEND_TITLE = {(2563, 10): 2, (2563, 11): 2, (2563, 12): 2, (2564, 10): 1, (2565, 6): 1}
SPEND_SUBTOTALS = SPEND_XLSX | {(2564, 7), (2565, 4)}
SPEND_BLANKS = {(2563, 11): 1, (2564, 2): 2, (2564, 5): 1, (2564, 10): 1, (2565, 2): 2, (2565, 8): 1}
SPEND_CP874 = {(2564, 4), (2564, 5), (2564, 6), (2565, 7)}
SPEND_PLAIN_UTF8 = {(2565, 9)}
SPEND_ENGLISH = {(2565, 3): "lower", (2564, 8): "title"}
SPEND_SHUFFLED = {(2564, 8), (2565, 5)}

# outcomes
SURVEY_ENGLISH = {}
SURVEY_SHUFFLED = {2565}

# cells written as xlsx per source before planned-xlsx files fall back to csv (large scales)
# (xlsxwriter writes ~100k cells/s; the first planned spending workbook is always xlsx)
XLSX_CELL_BUDGET = {"cluster_plans": 10**9, "registrations": 300_000, "spending": 300_000, "outcomes": 250_000}
XLSX_MAX_ROWS = 1_000_000
CREATED = dt.datetime(2022, 10, 1, 9, 0, 0)  # fixed workbook creation date (byte-identical output)
