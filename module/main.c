// SPDX-License-Identifier: GPL-2.0
/*
 * main.c: /dev/dune, its VM and vCPU files, and the ioctl ABI of include/dune/uapi.h.
 *
 * An open of /dev/dune is a VM over the opener's address space. The VM file
 * answers only to threads of that address space (a forked child gets EIO and
 * opens its own, as with KVM). DUNE_CREATE_VCPU returns a vCPU file.
 */
#define pr_fmt(fmt) "dune: " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dune.h"

extern const struct mmu_notifier_ops dune_mmu_notifier_ops;

static bool fastpath_available;

static void vm_free(struct kref *ref)
{
	struct dune_vm *vm = container_of(ref, struct dune_vm, ref);

	mmu_notifier_unregister(&vm->mn, vm->mm);
	dune_ept_free(vm);
	mmdrop(vm->mm);
	kfree(vm);
}

void dune_vm_put(struct dune_vm *vm)
{
	kref_put(&vm->ref, vm_free);
}

static int vcpu_release(struct inode *inode, struct file *file)
{
	struct dune_vcpu *v = file->private_data;
	struct dune_vm *vm = v->vm;

	dune_vcpu_free(v);
	dune_vm_put(vm);
	return 0;
}

static long vcpu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dune_vcpu *v = file->private_data;
	struct dune_run run;
	long r;

	if (current->mm != v->vm->mm)
		return -EIO;
	if (cmd == DUNE_SET_CR3) {
		u64 cr3;

		if (copy_from_user(&cr3, (void __user *)arg, sizeof(cr3)))
			return -EFAULT;
		if (!mutex_trylock(&v->run_lock))
			return -EBUSY;
		r = dune_vcpu_set_cr3(v, cr3);
		mutex_unlock(&v->run_lock);
		return r;
	}
	if (cmd != DUNE_RUN)
		return -ENOTTY;
	if (copy_from_user(&run, (void __user *)arg, sizeof(run)))
		return -EFAULT;
	if (run.flags & ~DUNE_RUN_IMMEDIATE_EXIT)
		return -EINVAL;
	if (!mutex_trylock(&v->run_lock))
		return -EBUSY;
	r = dune_vcpu_run(v, &run);
	mutex_unlock(&v->run_lock);
	if (!r && copy_to_user((void __user *)arg, &run, sizeof(run)))
		r = -EFAULT;
	return r;
}

static const struct file_operations vcpu_fops = {
	.owner = THIS_MODULE,
	.release = vcpu_release,
	.unlocked_ioctl = vcpu_ioctl,
	.llseek = noop_llseek,
};

static long create_vcpu(struct dune_vm *vm, void __user *arg)
{
	struct dune_vcpu_setup setup;
	struct dune_vcpu *v;
	int fd;

	if (copy_from_user(&setup, arg, sizeof(setup)))
		return -EFAULT;
	v = dune_vcpu_create(vm, &setup);
	if (IS_ERR(v))
		return PTR_ERR(v);
	kref_get(&vm->ref);
	fd = anon_inode_getfd("dune-vcpu", &vcpu_fops, v, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		dune_vcpu_free(v);
		dune_vm_put(vm);
	}
	return fd;
}

static long dune_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dune_vm *vm = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct dune_layout layout;
	struct dune_fastpath fp;
	struct dune_window w;

	if (current->mm != vm->mm)
		return -EIO;
	switch (cmd) {
	case DUNE_GET_LAYOUT:
		layout = (struct dune_layout){
			.version = DUNE_API_VERSION,
			.flags = (fastpath_available ? DUNE_LAYOUT_FASTPATH : 0) | DUNE_LAYOUT_SET_CR3,
			.gpa_limit = dune_gpa_limit(),
			.run_size = sizeof(struct dune_run),
			.max_syscall = min(NR_syscalls, DUNE_FASTPATH_BITS),
			.window_shift = dune_window_shift,
			.nr_windows = dune_nr_windows,
		};
		return copy_to_user(uarg, &layout, sizeof(layout)) ? -EFAULT : 0;
	case DUNE_SET_FASTPATH:
		if (copy_from_user(&fp, uarg, sizeof(fp)))
			return -EFAULT;
		bitmap_from_arr64(vm->fastpath, fp.bits, DUNE_FASTPATH_BITS);
		return 0;
	case DUNE_CREATE_VCPU:
		return create_vcpu(vm, uarg);
	case DUNE_SET_WINDOW:
		if (copy_from_user(&w, uarg, sizeof(w)))
			return -EFAULT;
		return dune_set_window(vm, &w);
	default:
		return -ENOTTY;
	}
}

static int dune_open(struct inode *inode, struct file *file)
{
	struct dune_vm *vm;
	int r;

	if (!current->mm)
		return -EINVAL;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	spin_lock_init(&vm->ept_lock);
	r = dune_ept_init(vm);
	if (r)
		goto fail;
	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->mn.ops = &dune_mmu_notifier_ops;
	r = mmu_notifier_register(&vm->mn, vm->mm);
	if (r) {
		mmdrop(vm->mm);
		goto fail;
	}
	file->private_data = vm;
	return 0;
fail:
	dune_ept_free(vm);
	kfree(vm);
	return r;
}

static int dune_release(struct inode *inode, struct file *file)
{
	dune_vm_put(file->private_data);
	return 0;
}

static const struct file_operations dune_fops = {
	.owner = THIS_MODULE,
	.open = dune_open,
	.release = dune_release,
	.unlocked_ioctl = dune_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dune_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dune",
	.fops = &dune_fops,
	.mode = 0666,
};

static int __init dune_init(void)
{
	int r = dune_vmx_init();

	if (r)
		return r;
	fastpath_available = dune_syscall_init() == 0;
	r = misc_register(&dune_dev);
	if (r) {
		dune_vmx_exit();
		return r;
	}
	pr_info("VMX on, /dev/dune ready (API %d, syscall fast path %s)\n", DUNE_API_VERSION,
		fastpath_available ? "on" : "off");
	return 0;
}

static void __exit dune_exit(void)
{
	misc_deregister(&dune_dev);
	dune_vmx_exit();
	pr_info("VMX off\n");
}

module_init(dune_init);
module_exit(dune_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dune: run a process in VMX non-root mode over its own address space");
