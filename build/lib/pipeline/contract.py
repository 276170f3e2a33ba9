"""The raw-data contract as data: sources, their folders, and header names.

One place states which Thai and English headers each source accepts, so the sample-data
generator and the ingestion read the same contract (see docs/raw-data-contract.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    thai: str
    canonical: str
    required: bool = True
    # Personal data under the PDPA (a person's ID, name or contact; an ID that may be a
    # person's): kept in the build database only, masked in what analysts read.
    personal: bool = False


@dataclass(frozen=True)
class Source:
    name: str  # also the staging table name
    folder: str  # sub-folder of the raw-data folder
    columns: tuple[Column, ...]

    @property
    def canonical_names(self) -> list[str]:
        return [c.canonical for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.canonical for c in self.columns if c.required]

    @property
    def shared_names(self) -> list[str]:
        """Columns whose raw values analysts may read (not personal)."""
        return [c.canonical for c in self.columns if not c.personal]


CLUSTER_PLANS = Source(
    "cluster_plans",
    "cluster_plans",
    (
        Column("ลำดับ", "seq", required=False),
        Column("รหัสคลัสเตอร์", "cluster_code"),
        Column("คลัสเตอร์ปีก่อน", "predecessor_code", required=False),
        Column("ชื่อคลัสเตอร์", "cluster_name_th"),
        Column("Cluster name (EN)", "cluster_name_en", required=False),
        Column("กลุ่ม", "cluster_group"),
        Column("สาขา", "sector"),
        Column("จังหวัดที่ตั้ง", "lead_province"),
        Column("หน่วยงานรับผิดชอบ", "responsible_office"),
        Column("งบประมาณที่ได้รับจัดสรร (บาท)", "budget_allocated_thb"),
        Column("เป้าหมายผู้ประกอบการ (ราย)", "target_enterprises", required=False),
        Column("เป้าหมายมูลค่าทางเศรษฐกิจ (ล้านบาท)", "target_economic_value_mthb", required=False),
        Column("สถานะ", "status"),
    ),
)

REGISTRATIONS = Source(
    "registrations",
    "registrations",
    (
        Column("เลขที่ใบสมัคร", "application_no"),
        Column("วันที่ลงทะเบียน", "registered_on"),
        Column("ปีงบประมาณ", "fiscal_year"),
        Column("รหัสคลัสเตอร์", "cluster_code"),
        Column("ประเภทผู้ประกอบการ", "entity_type"),
        Column("เลขประจำตัวผู้เสียภาษี", "tax_id", personal=True),
        Column("รหัสทะเบียนวิสาหกิจชุมชน", "community_enterprise_code", required=False),
        Column("ชื่อสถานประกอบการ", "enterprise_name_th"),
        Column("จังหวัด", "province"),
        Column("รหัส TSIC", "tsic_code", required=False),
        Column("ภาคธุรกิจ", "business_sector"),
        Column("จำนวนพนักงาน (คน)", "employees", required=False),
        Column("รายได้ต่อปี (บาท)", "annual_revenue_thb", required=False),
        Column("ผู้ติดต่อ", "contact_name", required=False, personal=True),
        Column("โทรศัพท์", "phone", required=False, personal=True),
        Column("อีเมล", "email", required=False, personal=True),
        Column("ยินยอมให้ใช้ข้อมูล", "pdpa_consent", required=False),
    ),
)

SPENDING = Source(
    "spending",
    "spending",
    (
        Column("ปีงบประมาณ", "budget_fiscal_year"),
        Column("เลขที่เอกสาร", "document_no"),
        Column("วันที่", "posted_on"),
        Column("ประเภทรายการ", "transaction_type"),
        Column("หน่วยงาน", "office"),
        Column("รหัสคลัสเตอร์", "cluster_code", required=False),
        Column("กิจกรรม", "activity"),
        Column("ช่องทาง", "channel"),
        Column("รายการ", "description", required=False),
        Column("จำนวนเงิน (บาท)", "amount_thb"),
        Column("ผู้รับเงิน", "payee_name", required=False, personal=True),
        Column("เลขประจำตัวผู้เสียภาษีผู้รับเงิน", "payee_tax_id", required=False, personal=True),
        Column("ผู้ประกอบการที่ได้รับประโยชน์", "beneficiary_tax_id", required=False, personal=True),
        Column("หมายเหตุ", "remark", required=False),
    ),
)

OUTCOMES = Source(
    "outcomes",
    "outcomes",
    (
        Column("รหัสแบบสำรวจ", "survey_id"),
        Column("ปีงบประมาณ", "fiscal_year"),
        Column("รหัสคลัสเตอร์", "cluster_code"),
        Column("เลขประจำตัวผู้เสียภาษี/รหัสวิสาหกิจชุมชน", "enterprise_ref", personal=True),
        Column("รอบ", "round"),
        Column("วันที่สำรวจ", "surveyed_on"),
        Column("ยอดขาย (บาท/ปี)", "annual_sales_thb"),
        Column("ต้นทุนที่ลดลง (บาท/ปี)", "cost_reduction_thb"),
        Column("การลงทุนเพิ่ม (บาท)", "new_investment_thb"),
        Column("จำนวนพนักงาน (คน)", "employees", required=False),
        Column("ผลิตภัณฑ์ใหม่ (รายการ)", "new_products", required=False),
        Column("มาตรฐานที่ได้รับ", "certifications", required=False),
        Column("มูลค่าทางเศรษฐกิจที่รายงาน (บาท)", "reported_economic_value_thb", required=False),
    ),
)

SOURCES: tuple[Source, ...] = (CLUSTER_PLANS, REGISTRATIONS, SPENDING, OUTCOMES)
SOURCES_BY_NAME = {s.name: s for s in SOURCES}

# A header that says the unit is million baht; amounts under it are multiplied by 1,000,000.
MILLION_BAHT_MARKER = "(ล้านบาท)"

OFFICES = ("กสอ.",) + tuple(f"ศภ.{n}" for n in range(1, 12))
OFFICE_FILE_CODES = {"กสอ.": "hq", **{f"ศภ.{n}": f"ipc{n}" for n in range(1, 12)}}

CLUSTER_GROUPS = {"เกษตรแปรรูป/ชุมชน": "agro_community", "อุตสาหกรรมเป้าหมาย": "target_industry"}
CLUSTER_STATUSES = {"ดำเนินการ": "active", "ยุบรวม": "merged", "ยกเลิก": "cancelled"}
SECTORS = {
    "กาแฟ": "coffee",
    "สปา": "spa",
    "สมุนไพร": "herbs",
    "ผลไม้แปรรูป": "fruit processing",
    "ยางพารา": "rubber",
    "น้ำผึ้ง": "honey",
    "อาหารแห่งอนาคต": "future food",
    "การแพทย์ครบวงจร": "medical devices",
    "หุ่นยนต์และระบบอัตโนมัติ": "robotics and automation",
    "ดิจิทัล": "digital products",
}
ENTITY_TYPES = {
    "บริษัทจำกัด": "company",
    "ห้างหุ้นส่วนจำกัด": "limited_partnership",
    "ห้างหุ้นส่วนสามัญนิติบุคคล": "registered_partnership",
    "วิสาหกิจชุมชน": "community_enterprise",
    "บุคคลธรรมดา": "sole_proprietor",
}
JURISTIC_ENTITY_TYPES = ("company", "limited_partnership", "registered_partnership")
BUSINESS_SECTORS = {"การผลิต": "manufacturing", "การค้า/บริการ": "trade_services"}
TRANSACTION_TYPES = {"ผูกพัน": "commitment", "เบิกจ่าย": "disbursement", "คืนเงิน": "refund"}
ACTIVITIES = {
    "ที่ปรึกษา/ผู้เชี่ยวชาญ": "expert_advice",
    "ฝึกอบรม/สัมมนา": "training",
    "ศึกษาดูงาน": "study_visit",
    "ออกแบบบรรจุภัณฑ์": "packaging_design",
    "ต้นแบบ/3D printing": "prototyping",
    "จับคู่ธุรกิจ/งานแสดงสินค้า": "business_matching",
    "คลินิกการเงิน": "finance_clinic",
    "ค่าเดินทาง": "travel",
    "วัสดุ": "materials",
    "บริหารโครงการ": "programme_management",
}
CHANNELS = {
    "ITC": "Industry Transformation Centre",
    "TIDC": "Thailand Industrial Design Center",
    "SME Rescue": "SME Support and Rescue Center",
    "RISPM": "Regional Integrated SME Promotion Mechanism",
    "กสอ.": "Department of Industry Promotion",
}
SURVEY_ROUNDS = {"ก่อนเข้าร่วม": "baseline", "หลังเข้าร่วม": "after"}
CARRY_OVER_MARKER = "กันเหลื่อมปี"
TOTAL_ROW_MARKER = "รวม"
CONSENT_YES = ("ใช่", "Y", "/", "✓")

# Fiscal years of the committed sample.
SAMPLE_FISCAL_YEARS = (2564, 2565)
